/**
 * The JSON shapes the `/api/v1` routes return, derived from the routes' schemas in `contract/` (one
 * definition for the server, the CLI and the web UI).
 */
import type { JobStatus } from '../contract/schemas.js';
import type { JobStatus as StoredJobStatus } from '../repository/jobs.js';

export type {
  JobReportDoc,
  ValidationCheckView,
  ValidationResult,
} from '../contract/job-schemas.js';
export type {
  ConnectionView,
  DeploymentOptionsView,
  DeploymentView,
  FailureView,
  JobAttemptView,
  JobMode,
  JobStatus,
  JobView,
  LayerView,
  LocationView,
  ModelVersionView,
  ModelView,
  Page,
  TensorView,
  WmlStatus,
} from '../contract/schemas.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Fails to compile when the repository's job states and the API's differ. */
export type JobStatusesAgree = Assert<Same<JobStatus, StoredJobStatus>>;
