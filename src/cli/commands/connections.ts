import type { Command } from 'commander';
import { KerasBatchError } from '../../util/errors.js';
import { readConnection } from '../buckets.js';
import { printJson, printTable, type TargetOptions, targetOptions, withClient } from './client.js';

interface AddOptions extends TargetOptions {
  name?: string;
  endpoint?: string;
  region?: string;
  keys?: string;
  path?: string;
}

/** `keras-batch connections add|list|delete`. Keys are read from a file or the environment, never from argv. */
export function registerConnections(program: Command): void {
  const connections = program
    .command('connections')
    .description('S3/COS connections (keys sealed at rest) and local folders');
  targetOptions(
    connections
      .command('add')
      .description(
        'store a connection: --endpoint with --keys FILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or --path',
      )
      .option('-n, --name <name>', 'connection name')
      .option('--endpoint <url>', 'S3/COS endpoint URL')
      .option('--region <region>', 'signing region')
      .option('--keys <file>', 'JSON file {"access_key","secret_key"[,"url"]} (the WML connection block)')
      .option('--path <dir>', 'a local folder instead of S3'),
  ).action(async (o: AddOptions) =>
    withClient(o, async (c) => {
      if (o.path) {
        printJson(await c.addConnection({ type: 'local', name: o.name, path: o.path }));
        return;
      }
      let access_key = process.env.AWS_ACCESS_KEY_ID;
      let secret_key = process.env.AWS_SECRET_ACCESS_KEY;
      let endpoint = o.endpoint;
      if (o.keys) {
        const k = await readConnection(o.keys);
        access_key = k.access_key;
        secret_key = k.secret_key;
        endpoint ??= k.url || undefined;
      }
      if (!endpoint && !o.keys && !access_key)
        throw new KerasBatchError(
          'cli',
          'CLI_BAD_OPTION',
          'give --path, or --endpoint with --keys (or AWS_* keys)',
        );
      printJson(
        await c.addConnection({
          type: 's3',
          name: o.name,
          endpoint,
          region: o.region,
          access_key,
          secret_key,
        }),
      );
    }),
  );
  targetOptions(
    connections
      .command('list')
      .description('list connections (keys are never shown)')
      .option('--json', 'print JSON'),
  ).action(async (o: TargetOptions & { json?: boolean }) =>
    withClient(o, async (c) => {
      const page = await c.listConnections();
      if (o.json) return printJson(page);
      printTable(
        page.items.map((x) => ({ ...x, where: x.path ?? x.endpoint ?? '' })),
        ['id', 'name', 'type', 'where', 'access_key_hint'],
      );
    }),
  );
  targetOptions(
    connections
      .command('delete <connection>')
      .description('delete a connection (id or name); refused while deployments use it')
      .option('--with-deployments', 'delete the deployments that use it first')
      .option('--keep-jobs', 'with --with-deployments: keep their job records'),
  ).action(async (id: string, o: TargetOptions & { withDeployments?: boolean; keepJobs?: boolean }) =>
    withClient(o, async (c) => {
      await c.deleteConnection(id, {
        deployments: o.withDeployments ? 'delete' : 'refuse',
        jobs: o.keepJobs ? 'keep' : 'delete',
      });
      process.stdout.write(`deleted connection ${id}\n`);
    }),
  );
}
