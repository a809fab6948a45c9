import { now } from '../repository/index.js';

/** A job as it is first stored: queued, nothing counted yet. */
export function newJobRow(id: string, deploymentId: string) {
  return {
    id,
    deployment_id: deploymentId,
    status: 'queued',
    status_message: null,
    interrupted: 0,
    attempts: 0,
    total: 0,
    scored: 0,
    failed: 0,
    skipped: 0,
    records: 0,
    listing_done: 0,
    created_at: now(),
    started_at: null,
    finished_at: null,
    duration_ms: null,
    files_per_second: null,
    records_per_second: null,
  };
}
