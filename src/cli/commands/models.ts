import type { Command } from 'commander';
import { printJson, printTable, type TargetOptions, targetOptions, withClient } from './client.js';

/** `keras-batch models add|list|show|delete`. */
export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('models in the repository (validated by loading them)');
  targetOptions(
    models
      .command('add <file>')
      .description('store a model file (a new model, or a new version when the name exists)')
      .requiredOption('-n, --name <name>', 'model name')
      .option('-d, --description <text>', 'description')
      .option('--author <name>', 'author')
      .option('--architecture <json>', 'architecture JSON for a weights-only .h5'),
  ).action(
    async (
      file: string,
      o: TargetOptions & { name: string; description?: string; author?: string; architecture?: string },
    ) => withClient(o, async (c) => printJson(await c.addModel({ ...o, file }))),
  );
  targetOptions(models.command('list').description('list models').option('--json', 'print JSON')).action(
    async (o: TargetOptions & { json?: boolean }) =>
      withClient(o, async (c) => {
        const page = await c.listModels();
        if (o.json) return printJson(page);
        printTable(page.items, ['id', 'name', 'latest_version', 'author', 'created_at']);
      }),
  );
  targetOptions(models.command('show <model>').description('a model (id or name) with its versions')).action(
    async (id: string, o: TargetOptions) => withClient(o, async (c) => printJson(await c.showModel(id))),
  );
  targetOptions(
    models.command('rename <model> <new-name>').description('rename a model (names are unique)'),
  ).action(async (id: string, name: string, o: TargetOptions) =>
    withClient(o, async (c) => printJson(await c.renameModel(id, name))),
  );
  targetOptions(
    models
      .command('delete <model>')
      .description('delete a model and its versions (refused while deployments use it)')
      .option('--with-deployments', 'delete the deployments that use it first, with their job records'),
  ).action(async (id: string, o: TargetOptions & { withDeployments?: boolean }) =>
    withClient(o, async (c) => {
      await c.deleteModel(id, o.withDeployments ? 'delete' : 'refuse');
      process.stdout.write(`deleted model ${id}\n`);
    }),
  );
}
