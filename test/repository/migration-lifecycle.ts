/**
 * Upgrading a repository made before deployment names were unique (0004): older duplicates are numbered, the
 * first made keeps its name, and the unique index then refuses a second deployment of a live name. Shared by
 * the SQLite and PostgreSQL tests.
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { expect } from 'vitest';
import { migrationProvider } from '../../src/repository/migrations.js';

/** Migrates `db` to 0002 and stores three deployments: "nightly" twice and "nightly (2)" between them. */
export async function makeDuplicateNames(db: Kysely<unknown>): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0002-roles-audit');
  if (error) throw error;
  const t = '2026-01-01T00:00:00.000Z';
  await sql`insert into models (id, name, description, author, created_at, updated_at, latest_version)
    values ('m', 'digits', '', null, ${t}, ${t}, 1)`.execute(db);
  await sql`insert into model_versions (id, model_id, version, framework, keras_version, format, inputs, outputs,
    layers, params, size, sha256, file_name, artifact_key, architecture_key, author, created_at)
    values ('v', 'm', 1, 'keras', '3', 'keras', '[]', '[]', '[]', 1, 1, 'x', 'm.keras', 'k', null, null, ${t})`.execute(
    db,
  );
  const rows = [
    ['d1', 'nightly', '2026-01-01T00:00:01.000Z'],
    ['d2', 'nightly (2)', '2026-01-01T00:00:02.000Z'],
    ['d3', 'nightly', '2026-01-01T00:00:03.000Z'],
  ];
  for (const [id, name, at] of rows)
    await sql`insert into deployments (id, name, description, type, model_id, model_version_id,
      source_connection_id, source_bucket, source_prefix, target_connection_id, target_bucket, target_prefix,
      options, created_at)
      values (${id}, ${name}, '', 'online', 'm', 'v', null, null, null, null, null, null, '{}', ${at})`.execute(
      db,
    );
}

/** The names after the upgrade, and the index at work. */
export async function expectNumbered(db: Kysely<unknown>): Promise<void> {
  const rows = await sql<{ id: string; name: string }>`select id, name from deployments order by id`.execute(
    db,
  );
  expect(rows.rows).toEqual([
    { id: 'd1', name: 'nightly' },
    { id: 'd2', name: 'nightly (2)' },
    { id: 'd3', name: 'nightly (3)' },
  ]);
  const again = sql`insert into deployments (id, name, description, type, model_id, model_version_id, options,
    created_at) values ('d4', 'nightly', '', 'online', 'm', 'v', '{}', '2026-01-02T00:00:00.000Z')`;
  await expect(again.execute(db)).rejects.toThrow(/unique|duplicate key/i);
  // a deleted deployment's name is free
  await sql`update deployments set deleted_at = '2026-01-03T00:00:00.000Z' where id = 'd1'`.execute(db);
  await again.execute(db);
}
