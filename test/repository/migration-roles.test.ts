import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { openService } from '../../src/service/index.js';
import { expectUpgraded, makeOldRepository, OLD_KEY } from './migration-roles.js';

describe('upgrading a SQLite data dir made before roles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-migrate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its keys working, as admin, through the API too', async () => {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SQLite(join(dir, 'keras-batch.sqlite')) }),
    });
    await makeOldRepository(db);
    await db.destroy();

    const logger = pino({ level: 'silent' });
    const service = await openService({ dataDir: dir, logger, env: {} });
    try {
      await expectUpgraded((key) => service.keys.verify(key));
      const app = await buildApp({ service, logger });
      const auth = { authorization: `Bearer ${OLD_KEY}` };
      const keys = await app.inject({ url: '/api/v1/keys', headers: auth });
      expect(keys.statusCode).toBe(200);
      expect(keys.json().items).toMatchObject([{ id: 'old-key', role: 'admin' }]);
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: auth,
        payload: { name: 'new', role: 'viewer' },
      });
      expect(created.statusCode).toBe(201);
      const audit = await app.inject({ url: '/api/v1/audit', headers: auth });
      expect(audit.json().items).toMatchObject([{ key_id: 'old-key', route: '/api/v1/keys', status: 201 }]);
      await app.close();
    } finally {
      await service.close();
    }
  });
});
