import { Command, CommanderError } from 'commander';
import { KerasBatchError } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { registerApiKey } from './commands/apikey.js';
import { registerAudit } from './commands/audit.js';
import { registerConnections } from './commands/connections.js';
import { registerDeployments } from './commands/deployments.js';
import { registerInspect } from './commands/inspect.js';
import { registerJobs } from './commands/jobs.js';
import { registerModels } from './commands/models.js';
import { registerPredict } from './commands/predict.js';
import { registerScore } from './commands/score.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';

/** Exit codes: 0 success, 2 usage or configuration error (bad model, bad input file, unreachable bucket). */
export const EXIT_OK = 0;
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('keras-batch')
    .description('Deploy trained Keras models and score them in batch')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerInspect(program);
  registerPredict(program);
  registerScore(program);
  registerServe(program);
  registerApiKey(program);
  registerAudit(program);
  registerModels(program);
  registerConnections(program);
  registerDeployments(program);
  registerJobs(program);
  registerWorker(program);
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    if (!(error instanceof KerasBatchError) && process.env.KERAS_BATCH_DEBUG && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    return EXIT_USAGE;
  }
}
