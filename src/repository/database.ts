import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { errorMessage } from '../util/errors.js';
import { RepositoryError } from './errors.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './types.js';

/** Which database a repository runs on. */
export type DialectName = 'sqlite' | 'postgres';

/** Where the repository's database lives. */
export interface DatabaseOptions {
  /** `postgres://...`: PostgreSQL. Otherwise SQLite in `dataDir`. */
  databaseUrl?: string;
  /** Folder of the SQLite file (`keras-batch.sqlite`). Created when missing. */
  dataDir?: string;
  /** PostgreSQL schema to use (created when missing); default `public`. Tests use one schema each. */
  pgSchema?: string;
}

/** An open database with its dialect. */
export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Secret-free text of where the data is (`/path/keras-batch.sqlite`, `postgres://host:5432/db`). */
  where: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A `postgres://` URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres://(invalid URL)';
  }
}

/** True when the text selects PostgreSQL. */
export const isPostgresUrl = (url: string | undefined): url is string =>
  typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url);

/** Opens SQLite or PostgreSQL and runs every pending migration. */
export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  let open: OpenDatabase;
  if (isPostgresUrl(options.databaseUrl)) {
    const schema = options.pgSchema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema))
      throw new RepositoryError('REPO_INVALID', `invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
    // bigint columns come back as numbers (counts and sizes stay far below 2^53).
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      options: schema ? `-c search_path=${schema}` : undefined,
    });
    const where = redactUrl(options.databaseUrl);
    try {
      if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (error) {
      await pool.end();
      throw new RepositoryError(
        'REPO_DATABASE',
        `cannot reach PostgreSQL at ${where}: ${errorMessage(error).replaceAll(options.databaseUrl, where)}`,
      );
    }
    open = {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      where,
    };
  } else {
    const dir = options.dataDir ?? '.keras-batch';
    // The data dir holds sealed credentials, API key hashes and models: only its owner reads it. SQLite gives
    // its -wal and -shm files the database file's mode.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'keras-batch.sqlite');
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    const database = new SQLite(file);
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    database.pragma('synchronous = NORMAL');
    open = {
      db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }),
      dialect: 'sqlite',
      where: file,
    };
  }
  const { error, results } = await new Migrator({
    db: open.db,
    provider: migrationProvider,
  }).migrateToLatest();
  if (error) {
    await open.db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new RepositoryError('REPO_DATABASE', `migration ${failed} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return open;
}
