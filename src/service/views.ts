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
import type {
  ConnectionView,
  DeploymentOptionsView,
  DeploymentView,
  FailureView,
  JobAttemptView,
  JobMode,
  JobView,
  LocationView,
  ModelVersionView,
  ModelView,
  WmlStatus,
} from './view-types.js';

export type * from './view-types.js';

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
    mode: (['resume', 'failed'].includes(row.mode) ? row.mode : 'all') as JobMode,
    rerun_of: row.rerun_of ?? null,
    history: attemptsOf(row.history),
  };
}

/** The stored history of a job's attempts (an unreadable one as none). */
export function attemptsOf(text: string | null | undefined): JobAttemptView[] {
  try {
    const list = JSON.parse(text ?? '[]');
    return Array.isArray(list) ? (list as JobAttemptView[]) : [];
  } catch {
    return [];
  }
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
  attempt: Number(row.attempt),
});
