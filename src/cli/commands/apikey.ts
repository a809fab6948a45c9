import type { Command } from 'commander';
import { KerasBatchError } from '../../util/errors.js';
import { printTable } from './client.js';

/** `keras-batch apikey create|list|delete`: bearer keys of the server (stored hashed; shown once). */
export function registerApiKey(program: Command): void {
  const apikey = program.command('apikey').description('API keys of the server (stored hashed)');
  // The service (and its database drivers) load only when a key command runs.
  const open = async (o: { dataDir?: string }) => {
    const [{ openService }, { pino }] = await Promise.all([import('../../service/index.js'), import('pino')]);
    return openService({ dataDir: o.dataDir ?? '.keras-batch', logger: pino({ level: 'silent' }) });
  };
  apikey
    .command('create')
    .description('create an API key and print it (it is shown once)')
    .option('-n, --name <name>', 'what the key is for', 'cli')
    .option(
      '--role <role>',
      'admin (everything), editor (models, deployments, jobs), viewer (read only), scorer (online scoring only)',
      'admin',
    )
    .option('--data-dir <dir>', 'data dir (default ./.keras-batch); DATABASE_URL selects PostgreSQL')
    .action(async (o: { name: string; role: string; dataDir?: string }) => {
      const { isRole, ROLES } = await import('../../service/index.js');
      if (!isRole(o.role))
        throw new KerasBatchError(
          'cli',
          'CLI_BAD_OPTION',
          `--role ${o.role}: use one of ${ROLES.join(', ')}`,
        );
      const service = await open(o);
      try {
        const { key } = await service.keys.create(o.name, o.role);
        process.stdout.write(`${key}\n`);
      } finally {
        await service.close();
      }
    });
  apikey
    .command('list')
    .description('list API keys (their first characters only)')
    .option('--data-dir <dir>', 'data dir')
    .action(async (o: { dataDir?: string }) => {
      const service = await open(o);
      try {
        printTable(await service.keys.list(), ['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at']);
      } finally {
        await service.close();
      }
    });
  apikey
    .command('delete <id>')
    .description('delete an API key')
    .option('--data-dir <dir>', 'data dir')
    .action(async (id: string, o: { dataDir?: string }) => {
      const service = await open(o);
      try {
        await service.keys.delete(id);
        process.stdout.write(`deleted API key ${id}\n`);
      } finally {
        await service.close();
      }
    });
}
