/**
 * Upgrading a repository made before roles existed: its keys become `admin` and keep working, and the audit
 * log starts empty. Shared by the SQLite and PostgreSQL tests.
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { expect } from 'vitest';
import { hashApiKey } from '../../src/repository/index.js';
import { migrationProvider } from '../../src/repository/migrations.js';

export const OLD_KEY = 'kb_made-before-roles-existed-000000';

/** Migrates `db` to 0001 only and stores a key the way 0001's code did (no role column yet). */
export async function makeOldRepository(db: Kysely<unknown>): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0001-initial');
  if (error) throw error;
  await sql`insert into api_keys (id, name, hash, prefix, created_at, last_used_at)
    values ('old-key', 'from before', ${hashApiKey(OLD_KEY)}, 'kb_made', '2026-01-01T00:00:00.000Z', null)`.execute(
    db,
  );
  const columns = await sql<{ n: number }>`select count(*) as n from api_keys`.execute(db);
  expect(Number(columns.rows[0].n)).toBe(1);
}

/** What the upgraded repository must show (through the service's key check). */
export async function expectUpgraded(verify: (key: string) => Promise<unknown>): Promise<void> {
  expect(await verify(OLD_KEY)).toEqual({ id: 'old-key', name: 'from before', role: 'admin' });
}
