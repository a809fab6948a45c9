import type { Command } from 'commander';
import { printTable } from './client.js';

/** `keras-batch apikey create|list|delete`: bearer keys of the server (stored hashed; shown once). */
export function registerApiKey(program: Command): void {
  const apikey = program.command('apikey').description('API keys of the server (stored hashed)');
  // The repository (and its database drivers) load only when a key command runs.
  const open = async (o: { dataDir?: string }) =>
    (await import('../../repository/index.js')).openRepository({
      dataDir: o.dataDir ?? '.keras-batch',
      databaseUrl: process.env.DATABASE_URL,
    });
  apikey
    .command('create')
    .description('create an API key and print it (it is shown once)')
    .option('-n, --name <name>', 'what the key is for', 'cli')
    .option('--data-dir <dir>', 'data dir (default ./.keras-batch); DATABASE_URL selects PostgreSQL')
    .action(async (o: { name: string; dataDir?: string }) => {
      const repo = await open(o);
      try {
        const { key } = await repo.apiKeys.create(o.name);
        process.stdout.write(`${key}\n`);
      } finally {
        await repo.close();
      }
    });
  apikey
    .command('list')
    .description('list API keys (their first characters only)')
    .option('--data-dir <dir>', 'data dir')
    .action(async (o: { dataDir?: string }) => {
      const repo = await open(o);
      try {
        const rows = await repo.apiKeys.list();
        printTable(rows as unknown as Record<string, unknown>[], [
          'id',
          'name',
          'prefix',
          'created_at',
          'last_used_at',
        ]);
      } finally {
        await repo.close();
      }
    });
  apikey
    .command('delete <id>')
    .description('delete an API key')
    .option('--data-dir <dir>', 'data dir')
    .action(async (id: string, o: { dataDir?: string }) => {
      const repo = await open(o);
      try {
        await repo.apiKeys.delete(id);
        process.stdout.write(`deleted API key ${id}\n`);
      } finally {
        await repo.close();
      }
    });
}
