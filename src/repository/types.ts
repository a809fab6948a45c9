/**
 * Row types of the repository tables, shared by SQLite and PostgreSQL. Timestamps are ISO-8601 text,
 * JSON columns are text, booleans are 0/1 integers: the same values on both dialects.
 */
import type { Generated } from 'kysely';

export interface ModelsTable {
  id: string;
  name: string;
  description: string;
  author: string | null;
  created_at: string;
  updated_at: string;
  latest_version: number;
}

export interface ModelVersionsTable {
  id: string;
  model_id: string;
  version: number;
  framework: string;
  keras_version: string;
  format: string;
  /** JSON: `[{name, shape, dtype}]`. */
  inputs: string;
  /** JSON: `[{name, shape}]`. */
  outputs: string;
  /** JSON: `[{name, class_name, params}]`. */
  layers: string;
  params: number;
  size: number;
  sha256: string;
  file_name: string;
  artifact_key: string;
  architecture_key: string | null;
  author: string | null;
  created_at: string;
}

export interface ConnectionsTable {
  id: string;
  name: string;
  /** `s3` or `local`. */
  kind: string;
  endpoint: string | null;
  region: string | null;
  /** Root folder of a `local` connection. */
  path: string | null;
  /** AES-256-GCM sealed JSON of the keys, or null (local folders have none). */
  secret: string | null;
  /** A masked hint of the access key (`…a1b2`). */
  hint: string | null;
  created_at: string;
}

export interface DeploymentsTable {
  id: string;
  name: string;
  description: string;
  /** `batch` or `online`. */
  type: string;
  model_id: string;
  model_version_id: string;
  source_connection_id: string | null;
  source_bucket: string | null;
  source_prefix: string | null;
  target_connection_id: string | null;
  target_bucket: string | null;
  target_prefix: string | null;
  /** JSON: `{batch_size?, max_failures?, concurrency?}`. */
  options: string;
  created_at: string;
  /** Set when the deployment was deleted but its job records were kept: it is then hidden and never runs. */
  deleted_at: string | null;
}

export interface JobsTable {
  id: string;
  deployment_id: string;
  /** `queued`, `running`, `completed`, `failed` or `canceled`. */
  status: string;
  status_message: string | null;
  /** 1 when a server stopped while the job ran (it was then resumed). */
  interrupted: number;
  attempts: number;
  total: number;
  scored: number;
  failed: number;
  skipped: number;
  records: number;
  listing_done: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  files_per_second: number | null;
  records_per_second: number | null;
  /** A job's own source and target (WML v4 deployment jobs); null: its deployment's. */
  source_connection_id: string | null;
  source_bucket: string | null;
  source_prefix: string | null;
  target_connection_id: string | null;
  target_bucket: string | null;
  target_prefix: string | null;
  /** JSON of a WML v4 deployment job: its name, references (keys masked), inline input and predictions. */
  spec: string | null;
  /** `all` (score every input), `resume` (skip inputs already scored by this model) or `failed` (only the failed inputs of `rerun_of`). */
  mode: string;
  /** The job this one reruns, if any. */
  rerun_of: string | null;
  /** JSON: what each finished or interrupted attempt did, `[{attempt, started_at, ended_at, outcome, scored, failed, skipped}]`. */
  history: string;
}

export interface JobFailuresTable {
  job_id: string;
  seq: number;
  file: string;
  stage: string;
  code: string;
  reason: string;
  /** The job's attempt that failed on it (1 for failures stored before attempts were kept). */
  attempt: Generated<number>;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** sha256 (hex) of the key: the key itself is never stored. */
  hash: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  /** `admin`, `editor`, `viewer` or `scorer` (keys made before roles existed are `admin`). */
  role: string;
}

/** One write request as the audit log keeps it: who, what, when, outcome. Never a secret or a body. */
export interface AuditLogTable {
  id: string;
  at: string;
  /** The key that made the request, copied: the entry outlives the key. */
  key_id: string | null;
  key_name: string | null;
  role: string | null;
  method: string;
  /** The route's pattern (`/api/v1/models/:id`), never the query string. */
  route: string;
  /** The id the request acted on (from the path, or the created resource's id), if any. */
  target_id: string | null;
  /** The HTTP status of the answer. */
  status: number;
}

export interface MigrationsMarker {
  id: Generated<number>;
}

/** The whole schema, for Kysely. */
export interface Database {
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  connections: ConnectionsTable;
  deployments: DeploymentsTable;
  jobs: JobsTable;
  job_failures: JobFailuresTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
}
