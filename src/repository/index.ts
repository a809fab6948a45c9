/**
 * The model repository: models and versions, connections (sealed keys), deployments, jobs and API keys,
 * on SQLite (embedded default) or PostgreSQL through one Kysely query layer.
 * @module
 */
import type { Kysely } from 'kysely';
import { ApiKeyStore } from './api-keys.js';
import { AuditStore } from './audit.js';
import { ConnectionStore } from './connections.js';
import { type DatabaseOptions, type DialectName, openDatabase } from './database.js';
import { DeploymentStore } from './deployments.js';
import { JobStore } from './jobs.js';
import { ModelStore } from './models.js';
import { inTransaction } from './transaction.js';
import type { Database } from './types.js';

export { type ApiKeyRow, ApiKeyStore, hashApiKey } from './api-keys.js';
export { type AuditFilter, type AuditRow, AuditStore } from './audit.js';
export { type ConnectionRow, ConnectionStore } from './connections.js';
export { type DatabaseOptions, type DialectName, isPostgresUrl, redactUrl } from './database.js';
export {
  type DeploymentPatch,
  type DeploymentRef,
  type DeploymentRow,
  DeploymentStore,
  type JobRecords,
  type NewDeploymentRow,
} from './deployments.js';
export { notFound, RepositoryError, type RepositoryErrorCode } from './errors.js';
export { newId, now } from './ids.js';
export {
  FINAL_STATUSES,
  JOB_STATUSES,
  type JobFailureRow,
  type JobPatch,
  type JobRow,
  type JobStatus,
  JobStore,
  type NewFailure,
  type NewJobRow,
} from './jobs.js';
export { type ModelRow, ModelStore, type ModelVersionRow, type NewModelVersion } from './models.js';
export {
  loadSecretKey,
  maskHint,
  readSecretKey,
  SECRET_KEY_ENV,
  SECRET_KEY_FILE,
  SecretBox,
} from './secrets.js';
export type * from './types.js';

/** Every store over one open database. */
export class Repository {
  readonly models: ModelStore;
  readonly connections: ConnectionStore;
  readonly deployments: DeploymentStore;
  readonly jobs: JobStore;
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditStore;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: DialectName,
    /** Secret-free text of where the data is. */
    readonly where: string,
  ) {
    this.models = new ModelStore(db);
    this.connections = new ConnectionStore(db);
    this.deployments = new DeploymentStore(db);
    this.jobs = new JobStore(db);
    this.apiKeys = new ApiKeyStore(db);
    this.audit = new AuditStore(db);
  }

  /**
   * Runs `fn` with stores bound to one transaction: everything it writes commits together, or nothing does
   * (a store method that opens its own transaction joins this one).
   */
  transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    return inTransaction(this.db, (trx) => fn(new Repository(trx, this.dialect, this.where)));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** Opens (and migrates) the repository's database. */
export async function openRepository(options: DatabaseOptions): Promise<Repository> {
  const { db, dialect, where } = await openDatabase(options);
  return new Repository(db, dialect, where);
}
