/** The roles migration on PostgreSQL (`KERAS_BATCH_TEST_DATABASE_URL`; skipped without it outside CI). */
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { describe, it } from 'vitest';
import { openService } from '../../src/service/index.js';
import { expectUpgraded, makeOldRepository } from './migration-roles.js';

const url = process.env.KERAS_BATCH_TEST_DATABASE_URL;

describe.skipIf(!url && !process.env.CI)('upgrading a PostgreSQL repository made before roles', () => {
  it('keeps its keys working, as admin', async () => {
    if (!url) throw new Error('KERAS_BATCH_TEST_DATABASE_URL is not set: CI must start PostgreSQL');
    const schema = `kb_mig_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    try {
      const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      await makeOldRepository(db);
      await db.destroy();
      const service = await openService({
        databaseUrl: url,
        pgSchema: schema,
        logger: pino({ level: 'silent' }),
        env: { KERAS_BATCH_SECRET_KEY: randomBytes(32).toString('base64') },
      });
      try {
        await expectUpgraded((key) => service.keys.verify(key));
      } finally {
        await service.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
