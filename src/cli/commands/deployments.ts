import type { Command } from 'commander';
import { KerasBatchError } from '../../util/errors.js';
import {
  type Client,
  printJson,
  printTable,
  type TargetOptions,
  targetOptions,
  withClient,
} from './client.js';

interface CreateOptions extends TargetOptions {
  name: string;
  description?: string;
  model: string;
  modelVersion?: string;
  online?: boolean;
  source?: string;
  target?: string;
  batchSize?: string;
  maxFailures?: string;
  wait?: boolean;
}

/** `CONNECTION[:BUCKET[/PREFIX]]` → a place. */
function place(text: string | undefined, what: string) {
  if (!text) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return { connection: text };
  const connection = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  const slash = rest.indexOf('/');
  if (!connection || !rest)
    throw new KerasBatchError('cli', 'CLI_BAD_OPTION', `--${what} is CONNECTION[:BUCKET[/PREFIX]]`);
  return slash < 0
    ? { connection, bucket: rest }
    : { connection, bucket: rest.slice(0, slash), prefix: rest.slice(slash + 1) };
}

/** Embedded jobs run in this process: wait for them (remote ones with --wait). */
async function finish(c: Client, jobId: string | undefined, wait: boolean | undefined) {
  if (!jobId || (c.remote && !wait)) return;
  const job = await c.waitJob(jobId);
  printJson(job);
  if (job.status !== 'completed') process.exitCode = 3;
}

/** `keras-batch deployments create|list|show|run|update|delete`. */
export function registerDeployments(program: Command): void {
  const deployments = program
    .command('deployments')
    .description('batch and online deployments of a model version');
  targetOptions(
    deployments
      .command('create')
      .description('create a deployment; a batch deployment starts scoring at once')
      .requiredOption('-n, --name <name>', 'deployment name')
      .option('-d, --description <text>', 'description')
      .requiredOption('-m, --model <model>', 'model id or name')
      .option('--model-version <n>', 'model version (default: the latest)')
      .option('--online', 'an online deployment (no source or target)')
      .option('-s, --source <place>', 'CONNECTION[:BUCKET[/PREFIX]] of the inputs')
      .option('-t, --target <place>', 'CONNECTION[:BUCKET[/PREFIX]] of the outputs')
      .option('--batch-size <n>', 'records per engine call')
      .option('--max-failures <n|p%>', 'stop early when more inputs than this fail')
      .option('--wait', 'with --server: wait for the job to end'),
  ).action(async (o: CreateOptions) =>
    withClient(o, async (c) => {
      const d = await c.createDeployment({
        name: o.name,
        description: o.description,
        type: o.online ? 'online' : 'batch',
        model: o.model,
        version: o.modelVersion ? Number(o.modelVersion) : undefined,
        source: place(o.source, 'source'),
        target: place(o.target, 'target'),
        options: {
          ...(o.batchSize ? { batch_size: Number(o.batchSize) } : {}),
          ...(o.maxFailures ? { max_failures: o.maxFailures } : {}),
        },
      });
      printJson(d);
      await finish(c, d.last_job?.id, o.wait);
    }),
  );
  targetOptions(
    deployments
      .command('list')
      .description('list deployments')
      .option('-m, --model <model>', 'of one model')
      .option('--json', 'print JSON'),
  ).action(async (o: TargetOptions & { model?: string; json?: boolean }) =>
    withClient(o, async (c) => {
      const page = await c.listDeployments(o.model);
      if (o.json) return printJson(page);
      printTable(
        page.items.map((d) => ({ ...d, status: d.last_job?.status ?? '' })),
        ['id', 'name', 'type', 'model_version', 'status', 'created_at'],
      );
    }),
  );
  targetOptions(deployments.command('show <id>').description('a deployment with its last job')).action(
    async (id: string, o: TargetOptions) => withClient(o, async (c) => printJson(await c.showDeployment(id))),
  );
  targetOptions(
    deployments
      .command('run <id>')
      .description('run a batch deployment again (a new job)')
      .option('--wait', 'with --server: wait for the job to end'),
  ).action(async (id: string, o: TargetOptions & { wait?: boolean }) =>
    withClient(o, async (c) => {
      const job = await c.runDeployment(id);
      printJson(job);
      await finish(c, job.id, o.wait);
    }),
  );
  targetOptions(
    deployments
      .command('update <id>')
      .description('edit a deployment: name, description, the model version it uses')
      .option('-n, --name <name>', 'new name (unique)')
      .option('-d, --description <text>', 'new description')
      .option('--model-version <n>', 'the version of its model to use'),
  ).action(
    async (id: string, o: TargetOptions & { name?: string; description?: string; modelVersion?: string }) =>
      withClient(o, async (c) =>
        printJson(
          await c.updateDeployment(id, {
            ...(o.name !== undefined ? { name: o.name } : {}),
            ...(o.description !== undefined ? { description: o.description } : {}),
            ...(o.modelVersion !== undefined ? { version: Number(o.modelVersion) } : {}),
          }),
        ),
      ),
  );
  targetOptions(
    deployments
      .command('delete <id>')
      .description('delete a deployment (its unfinished jobs are canceled; outputs in the target stay)')
      .option('--keep-jobs', 'keep its job records (default: deleted with it)'),
  ).action(async (id: string, o: TargetOptions & { keepJobs?: boolean }) =>
    withClient(o, async (c) => {
      await c.deleteDeployment(id, o.keepJobs ? 'keep' : 'delete');
      process.stdout.write(`deleted deployment ${id}\n`);
    }),
  );
}
