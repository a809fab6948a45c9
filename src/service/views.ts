/**
 * The JSON views of repository records that the `/api/v1` routes return and the CLI prints. Secrets never
 * appear: a connection shows a masked hint of its access key only.
 */
import type {
  ConnectionRow,
  DeploymentRow,
  JobFailureRow,
  JobRow,
  JobStatus,
  ModelRow,
  ModelVersionRow,
} from '../repository/index.js';

export interface TensorView {
  name: string;
  shape: (number | null)[];
  dtype?: string;
}

export interface LayerView {
  name: string;
  class_name: string;
  /** Each output's shape (batch axis first, null where open); empty for layers loaded before shapes were kept. */
  output_shapes?: (number | null)[][];
  params: number;
}

export interface ModelVersionView {
  id: string;
  model_id: string;
  version: number;
  framework: 'keras';
  keras_version: string;
  format: string;
  inputs: TensorView[];
  outputs: TensorView[];
  layers: LayerView[];
  params: number;
  size: number;
  sha256: string;
  file_name: string;
  author: string | null;
  created_at: string;
}

export interface ModelView {
  id: string;
  name: string;
  description: string;
  author: string | null;
  framework: 'keras';
  created_at: string;
  updated_at: string;
  latest_version: number;
  versions?: ModelVersionView[];
}

export interface ConnectionView {
  id: string;
  name: string;
  type: 's3' | 'local';
  endpoint: string | null;
  region: string | null;
  path: string | null;
  /** `…a1b2`: the last characters of the access key, never the keys. */
  access_key_hint: string | null;
  created_at: string;
}

export interface LocationView {
  connection_id: string;
  bucket: string | null;
  prefix: string;
}

export interface DeploymentOptionsView {
  batch_size?: number;
  max_failures?: string;
  concurrency?: number;
}

export interface DeploymentView {
  id: string;
  name: string;
  description: string;
  type: 'batch' | 'online';
  model_id: string;
  model_version_id: string;
  model_version: number;
  source: LocationView | null;
  target: LocationView | null;
  options: DeploymentOptionsView;
  created_at: string;
  last_job: JobView | null;
}

/** WML v3's view of a job's state. */
export type WmlStatus = 'INITIALIZING' | 'SUCCESS' | 'FAILED';

export interface JobView {
  id: string;
  deployment_id: string;
  status: JobStatus;
  wml_status: WmlStatus;
  status_message: string | null;
  interrupted: boolean;
  attempts: number;
  counts: { total: number; scored: number; failed: number; skipped: number; records: number };
  listing_done: boolean;
  /** Finished inputs over the inputs listed so far (0..1); 1 once final. */
  progress: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  files_per_second: number | null;
  records_per_second: number | null;
}

export interface FailureView {
  file: string;
  stage: string;
  code: string;
  reason: string;
}

/** A page of a listing. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

const json = <T>(text: string): T => JSON.parse(text) as T;

export function versionView(row: ModelVersionRow): ModelVersionView {
  return {
    id: row.id,
    model_id: row.model_id,
    version: Number(row.version),
    framework: 'keras',
    keras_version: row.keras_version,
    format: row.format,
    inputs: json(row.inputs),
    outputs: json(row.outputs),
    layers: json(row.layers),
    params: Number(row.params),
    size: Number(row.size),
    sha256: row.sha256,
    file_name: row.file_name,
    author: row.author,
    created_at: row.created_at,
  };
}

export function modelView(row: ModelRow, versions?: ModelVersionRow[]): ModelView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    author: row.author,
    framework: 'keras',
    created_at: row.created_at,
    updated_at: row.updated_at,
    latest_version: Number(row.latest_version),
    ...(versions ? { versions: versions.map(versionView) } : {}),
  };
}

export function connectionView(row: ConnectionRow): ConnectionView {
  return {
    id: row.id,
    name: row.name,
    type: row.kind === 'local' ? 'local' : 's3',
    endpoint: row.endpoint,
    region: row.region,
    path: row.path,
    access_key_hint: row.hint,
    created_at: row.created_at,
  };
}

/** `queued`/`running` → INITIALIZING, `completed` → SUCCESS, `failed`/`canceled` → FAILED. */
export function wmlStatus(status: string): WmlStatus {
  if (status === 'completed') return 'SUCCESS';
  if (status === 'failed' || status === 'canceled') return 'FAILED';
  return 'INITIALIZING';
}

export function jobView(row: JobRow): JobView {
  const counts = {
    total: Number(row.total),
    scored: Number(row.scored),
    failed: Number(row.failed),
    skipped: Number(row.skipped),
    records: Number(row.records),
  };
  const finished = counts.scored + counts.failed + counts.skipped;
  const final = row.status === 'completed' || row.status === 'failed' || row.status === 'canceled';
  const progress = final ? 1 : counts.total > 0 ? Math.min(1, finished / counts.total) : 0;
  return {
    id: row.id,
    deployment_id: row.deployment_id,
    status: row.status as JobStatus,
    wml_status: wmlStatus(row.status),
    status_message: row.status_message,
    interrupted: Boolean(row.interrupted),
    attempts: Number(row.attempts),
    counts,
    listing_done: Boolean(row.listing_done),
    progress: Math.round(progress * 10_000) / 10_000,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: row.duration_ms === null ? null : Number(row.duration_ms),
    files_per_second: row.files_per_second === null ? null : Number(row.files_per_second),
    records_per_second: row.records_per_second === null ? null : Number(row.records_per_second),
  };
}

export function deploymentView(
  row: DeploymentRow,
  version: number,
  lastJob: JobRow | undefined,
): DeploymentView {
  const loc = (
    connection: string | null,
    bucket: string | null,
    prefix: string | null,
  ): LocationView | null => (connection ? { connection_id: connection, bucket, prefix: prefix ?? '' } : null);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    type: row.type === 'online' ? 'online' : 'batch',
    model_id: row.model_id,
    model_version_id: row.model_version_id,
    model_version: version,
    source: loc(row.source_connection_id, row.source_bucket, row.source_prefix),
    target: loc(row.target_connection_id, row.target_bucket, row.target_prefix),
    options: JSON.parse(row.options) as DeploymentOptionsView,
    created_at: row.created_at,
    last_job: lastJob ? jobView(lastJob) : null,
  };
}

export const failureView = (row: JobFailureRow): FailureView => ({
  file: row.file,
  stage: row.stage,
  code: row.code,
  reason: row.reason,
});
