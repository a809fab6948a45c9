import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { pino } from 'pino';
import { afterAll, describe, it } from 'vitest';
import { openService } from '../../src/service/index.js';
import { expectNumbered, makeDuplicateNames } from './migration-lifecycle.js';

describe('upgrading a SQLite data dir with duplicate deployment names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-migrate-names-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers the later duplicates and then refuses a taken name', async () => {
    const file = join(dir, 'keras-batch.sqlite');
    let db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    await makeDuplicateNames(db);
    await db.destroy();
    const service = await openService({ dataDir: dir, logger: pino({ level: 'silent' }), env: {} });
    await service.close();
    db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    try {
      await expectNumbered(db);
    } finally {
      await db.destroy();
    }
  });
});
