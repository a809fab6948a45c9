/** The deployment-names migration on PostgreSQL (`KERAS_BATCH_TEST_DATABASE_URL`; skipped without it outside CI). */
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { describe, it } from 'vitest';
import { openService } from '../../src/service/index.js';
import { expectNumbered, makeDuplicateNames } from './migration-lifecycle.js';

const url = process.env.KERAS_BATCH_TEST_DATABASE_URL;

describe.skipIf(!url && !process.env.CI)(
  'upgrading a PostgreSQL repository with duplicate deployment names',
  () => {
    it('numbers the later duplicates and then refuses a taken name', async () => {
      if (!url) throw new Error('KERAS_BATCH_TEST_DATABASE_URL is not set: CI must start PostgreSQL');
      const schema = `kb_mig_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const pool = () => new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
      try {
        let db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool() }) });
        await makeDuplicateNames(db);
        await db.destroy();
        const service = await openService({
          databaseUrl: url,
          pgSchema: schema,
          logger: pino({ level: 'silent' }),
          env: { KERAS_BATCH_SECRET_KEY: randomBytes(32).toString('base64') },
        });
        await service.close();
        db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool() }) });
        try {
          await expectNumbered(db);
        } finally {
          await db.destroy();
        }
      } finally {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
    });
  },
);
