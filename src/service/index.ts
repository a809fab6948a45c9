/**
 * The services the API, the CLI and the server share: models, connections, deployments, jobs, online
 * scoring, over the repository.
 * @module
 */

export { JOB_STATUSES, type JobStatus } from '../repository/index.js';
export type { ObjectListing, ObjectPreview } from './connections-service.js';
export type { DeploymentJobView } from './deployment-jobs-service.js';
export { ServiceError, type ServiceErrorCode } from './errors.js';
export type * from './inputs.js';
export type { InlineInput, InlinePrediction, JobSpec } from './job-spec.js';
export {
  type ApiKeyView,
  type AuditEntryView,
  type AuditQuery,
  isRole,
  type KeyIdentity,
  type KeysService,
  ROLES,
  type Role,
} from './keys-service.js';
export { KerasBatchService, openService, type ServiceOptions } from './service.js';
export { looksLikeJwt, TOKEN_SECONDS, type TokensService } from './tokens-service.js';
export type * from './views.js';
export { wmlStatus } from './views.js';
export { openWorkerRepository, type WorkerRepositoryOptions } from './worker-repository.js';
