import { KerasBatchError } from '../util/errors.js';

/** Stable codes of {@link ServiceError}. */
export type ServiceErrorCode =
  | 'SERVICE_INVALID'
  | 'SERVICE_MODEL_REJECTED'
  | 'SERVICE_NOT_BATCH'
  | 'SERVICE_JOB_FINAL'
  | 'SERVICE_OVERLAP'
  // A batch deployment's source that cannot be listed or holds no files (its job would fail at once).
  | 'SERVICE_SOURCE_EMPTY'
  // A local folder outside the server's --local-root folders.
  | 'SERVICE_FORBIDDEN'
  // Deleting the only admin key over HTTP would leave nobody to manage keys.
  | 'SERVICE_LAST_ADMIN'
  | 'SERVICE_CLOSED'
  | 'SERVICE_NO_SECRET_KEY'
  | 'SERVICE_NO_REPOSITORY'
  | 'SERVICE_UNAVAILABLE'
  // The user's storage refused or failed while it was browsed (not a fault of the server).
  | 'STORAGE_NOT_FOUND'
  | 'STORAGE_UNREACHABLE';

/** A request the service refuses (bad input, wrong state). */
export class ServiceError extends KerasBatchError {
  declare readonly code: ServiceErrorCode;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super('service', code, message, options);
  }
}
