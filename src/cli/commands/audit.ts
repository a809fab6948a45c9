import type { Command } from 'commander';
import { pino } from 'pino';
import type { AuditEntryView, Page } from '../../contract/index.js';
import { KerasBatchError } from '../../util/errors.js';
import { printJson, printTable, serverApi, serverOf, type TargetOptions, targetOptions } from './client.js';

interface AuditOptions extends TargetOptions {
  key?: string;
  outcome?: string;
  since?: string;
  limit: string;
  offset: string;
  json?: boolean;
}

/** `keras-batch audit`: the audit log of write requests (an admin key with --server). */
export function registerAudit(program: Command): void {
  targetOptions(
    program
      .command('audit')
      .description('the audit log of write requests, newest first: who, what, when, outcome')
      .option('--key <id>', "one key's entries")
      .option('--outcome <ok|refused>', 'only allowed (status < 400) or refused (≥ 400) requests')
      .option('--since <time>', 'entries at or after this ISO 8601 time')
      .option('--limit <n>', 'how many entries', '50')
      .option('--offset <n>', 'skip this many', '0')
      .option('--json', 'print JSON'),
  ).action(async (o: AuditOptions) => {
    if (o.outcome !== undefined && o.outcome !== 'ok' && o.outcome !== 'refused')
      throw new KerasBatchError('cli', 'CLI_BAD_OPTION', `--outcome ${o.outcome}: use ok or refused`);
    for (const [name, value] of [
      ['--limit', o.limit],
      ['--offset', o.offset],
    ])
      if (!/^\d+$/.test(value))
        throw new KerasBatchError('cli', 'CLI_BAD_OPTION', `${name} ${value}: a whole number`);
    const query = {
      key: o.key,
      outcome: o.outcome as 'ok' | 'refused' | undefined,
      since: o.since,
      limit: Number(o.limit),
      offset: Number(o.offset),
    };
    const page = await readAudit(o, query);
    if (o.json) return printJson(page);
    printTable(page.items, ['at', 'key_name', 'role', 'method', 'route', 'target_id', 'status']);
    if (page.total > page.offset + page.items.length)
      process.stderr.write(`${page.items.length} of ${page.total} entries (--offset, --limit for more)\n`);
  });
}

async function readAudit(
  o: TargetOptions,
  query: Parameters<ReturnType<typeof serverApi>['audit']>[0] & object,
): Promise<Page<AuditEntryView>> {
  const server = serverOf(o);
  if (server) return serverApi(server.base, server.key).audit(query);
  const { openService } = await import('../../service/index.js');
  const service = await openService({
    dataDir: o.dataDir ?? '.keras-batch',
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  try {
    return await service.keys.audit(query);
  } finally {
    await service.close();
  }
}
