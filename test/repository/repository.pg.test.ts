/**
 * The repository suite on PostgreSQL (`KERAS_BATCH_TEST_DATABASE_URL`, e.g. from scripts/start-postgres.sh).
 * Each run uses its own schema, dropped after. Without the variable the suite skips, except in CI where it
 * fails: CI must run it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { openRepository } from '../../src/repository/index.js';
import { registerRepositorySuite } from './repository-suite.js';

const url = process.env.KERAS_BATCH_TEST_DATABASE_URL;

if (url) {
  registerRepositorySuite('PostgreSQL', () => {
    const schema = `kb_test_${randomBytes(4).toString('hex')}`;
    return {
      open: () => openRepository({ databaseUrl: url, pgSchema: schema }),
      reopen: () => openRepository({ databaseUrl: url, pgSchema: schema }),
      cleanup: async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      },
    };
  });
} else if (process.env.CI) {
  describe('repository on PostgreSQL', () => {
    it('needs KERAS_BATCH_TEST_DATABASE_URL', () => {
      throw new Error(
        'KERAS_BATCH_TEST_DATABASE_URL is not set: CI must start PostgreSQL (scripts/start-postgres.sh) and export it',
      );
    });
  });
} else {
  describe.skip('repository on PostgreSQL (set KERAS_BATCH_TEST_DATABASE_URL; see scripts/start-postgres.sh)', () => {
    it('needs a PostgreSQL database to test against', () => undefined);
  });
}
