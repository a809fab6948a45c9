import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

/**
 * Schema migrations, in order. Portable types only (text, integer, bigint, double precision) so the same
 * migration runs on SQLite and PostgreSQL. Never edit a released migration: add the next one.
 */
const migrations: Record<string, Migration> = {
  '0001-initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('author', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('model_versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('framework', 'text', (c) => c.notNull())
        .addColumn('keras_version', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('layers', 'text', (c) => c.notNull())
        .addColumn('params', 'bigint', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('artifact_key', 'text', (c) => c.notNull())
        .addColumn('architecture_key', 'text')
        .addColumn('author', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('model_versions_model_version', ['model_id', 'version'])
        .execute();
      await db.schema
        .createTable('connections')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text')
        .addColumn('region', 'text')
        .addColumn('path', 'text')
        .addColumn('secret', 'text')
        .addColumn('hint', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('deployments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('model_version_id', 'text', (c) => c.notNull().references('model_versions.id'))
        .addColumn('source_connection_id', 'text', (c) => c.references('connections.id'))
        .addColumn('source_bucket', 'text')
        .addColumn('source_prefix', 'text')
        .addColumn('target_connection_id', 'text', (c) => c.references('connections.id'))
        .addColumn('target_bucket', 'text')
        .addColumn('target_prefix', 'text')
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('deployment_id', 'text', (c) =>
          c.notNull().references('deployments.id').onDelete('cascade'),
        )
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_message', 'text')
        .addColumn('interrupted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('scored', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('skipped', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('records', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('listing_done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('duration_ms', 'bigint')
        .addColumn('files_per_second', 'double precision')
        .addColumn('records_per_second', 'double precision')
        .execute();
      await db.schema
        .createIndex('jobs_deployment')
        .on('jobs')
        .columns(['deployment_id', 'created_at'])
        .execute();
      await db.schema.createIndex('jobs_status').on('jobs').column('status').execute();
      await db.schema
        .createTable('job_failures')
        .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('job_failures_pk', ['job_id', 'seq'])
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .execute();
    },
  },
  '0002-roles-audit': {
    async up(db: Kysely<unknown>) {
      // Keys made before roles existed keep every right they had: nobody is locked out by the upgrade.
      await db.schema
        .alterTable('api_keys')
        .addColumn('role', 'text', (c) => c.notNull().defaultTo('admin'))
        .execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('key_name', 'text')
        .addColumn('role', 'text')
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text')
        .addColumn('status', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
      await db.schema.createIndex('audit_log_key').on('audit_log').columns(['key_id', 'at']).execute();
    },
  },
  '0003-job-places': {
    async up(db: Kysely<unknown>) {
      // A job may bind its own source and target (WML v4 deployment jobs); null: its deployment's.
      for (const column of [
        'source_connection_id',
        'source_bucket',
        'source_prefix',
        'target_connection_id',
        'target_bucket',
        'target_prefix',
        'spec',
      ])
        await db.schema.alterTable('jobs').addColumn(column, 'text').execute();
    },
  },
  '0004-deployment-lifecycle': {
    async up(db: Kysely<unknown>) {
      // A deployment deleted with "keep its job records": hidden from listings, its name free again.
      await db.schema.alterTable('deployments').addColumn('deleted_at', 'text').execute();
      // Names become unique among the deployments not deleted: older duplicates are numbered, the first made
      // keeps its name ("nightly", "nightly (2)", ...), as the v3 routes number a taken name.
      const rows = await sql<{ id: string; name: string }>`
        select id, name from deployments order by created_at, id`.execute(db);
      const taken = new Set(rows.rows.map((r) => r.name));
      const kept = new Set<string>();
      for (const row of rows.rows) {
        if (!kept.has(row.name)) {
          kept.add(row.name);
          continue;
        }
        let n = 2;
        while (taken.has(`${row.name} (${n})`)) n += 1;
        const name = `${row.name} (${n})`;
        taken.add(name);
        await sql`update deployments set name = ${name} where id = ${row.id}`.execute(db);
      }
      await db.schema
        .createIndex('deployments_live_name')
        .on('deployments')
        .column('name')
        .unique()
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();
    },
  },
  '0005-job-runs': {
    async up(db: Kysely<unknown>) {
      // How a job runs (`all`, `resume`, `failed`: only the failed inputs of `rerun_of`), and what each attempt did.
      await db.schema
        .alterTable('jobs')
        .addColumn('mode', 'text', (c) => c.notNull().defaultTo('all'))
        .execute();
      await db.schema.alterTable('jobs').addColumn('rerun_of', 'text').execute();
      await db.schema
        .alterTable('jobs')
        .addColumn('history', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
  },
  '0006-failure-attempts': {
    async up(db: Kysely<unknown>) {
      // Which attempt of the job a failure is from: a resumed job keeps its earlier attempts' failures.
      await db.schema
        .alterTable('job_failures')
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
    },
  },
};

/** Serves the in-code migrations to Kysely's `Migrator`. */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
