/**
 * Runs `keras-batch worker` as a child process (from source, through tsx), as a user would on a scoring
 * machine, and waits until it says it is ready.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './shared.js';

/** tsx's loader by path: a worker may run in another folder (as on another machine). */
const TSX = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote on stderr (pino JSON lines). */
  logs(): string;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGTERM: finish the shards in hand, then exit. */
  stop(): Promise<void>;
}

/** Starts `keras-batch worker --redis URL ARGS` with `env` added to this process's environment. */
export async function startWorker(
  redisUrl: string,
  args: string[] = [],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      join(repoRoot, 'src', 'cli', 'entry.ts'),
      'worker',
      '--redis',
      redisUrl,
      '--threads',
      '1',
      '--lock-duration',
      '4000',
      '--log-level',
      'info',
      ...args,
    ],
    { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let logs = '';
  child.stderr?.on('data', (d) => {
    logs += d;
  });
  const deadline = Date.now() + 60_000;
  while (!logs.includes('"msg":"worker ready"')) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}):\n${logs}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker not ready within 60 s:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signal = async (s: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(s);
    await exited;
  };
  return { child, logs: () => logs, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
