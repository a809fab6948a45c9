import { KerasBatchError } from '../util/errors.js';

/**
 * Stable codes of {@link StorageError}. The batch runner retries only errors whose `retryable` is true.
 *
 * - `STORAGE_NOT_FOUND`: the key, the bucket or the folder does not exist. Not retryable.
 * - `STORAGE_ACCESS_DENIED`: credentials refused or missing permission. Not retryable.
 * - `STORAGE_UNREACHABLE`: the endpoint could not be reached (refused, DNS, timeout, reset). Retryable.
 * - `STORAGE_UNAVAILABLE`: the server kept answering 5xx or throttling after the client's retries. Retryable.
 * - `STORAGE_INVALID_KEY`: a key that is empty, escapes its folder or prefix, or is reserved. Not retryable.
 * - `STORAGE_INVALID_LOCATION`: a location text that cannot be parsed. Not retryable.
 * - `STORAGE_CONFIG`: driver options that cannot work (no credentials, bad endpoint). Not retryable.
 * - `STORAGE_CLOSED`: the driver was used after `close()`. Not retryable.
 * - `STORAGE_READ_ONLY`: the file system is mounted read-only (EROFS). Not retryable.
 * - `STORAGE_FULL`: no space left on the device or over quota (ENOSPC, EDQUOT). Not retryable.
 * - `STORAGE_IO`: any other I/O or request failure; `retryable` says whether trying again may help.
 */
export type StorageErrorCode =
  | 'STORAGE_NOT_FOUND'
  | 'STORAGE_ACCESS_DENIED'
  | 'STORAGE_UNREACHABLE'
  | 'STORAGE_UNAVAILABLE'
  | 'STORAGE_INVALID_KEY'
  | 'STORAGE_INVALID_LOCATION'
  | 'STORAGE_CONFIG'
  | 'STORAGE_CLOSED'
  | 'STORAGE_READ_ONLY'
  | 'STORAGE_FULL'
  | 'STORAGE_IO';

/** Codes whose errors are retryable by default. */
const RETRYABLE_CODES: ReadonlySet<StorageErrorCode> = new Set([
  'STORAGE_UNREACHABLE',
  'STORAGE_UNAVAILABLE',
]);

/** Options of a {@link StorageError}. */
export interface StorageErrorOptions {
  cause?: unknown;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** The key (relative to the driver's scope) the failed operation was about, when there is one. */
  key?: string;
}

/**
 * A failure of a bucket driver. Messages name the location and key but never a credential.
 */
export class StorageError extends KerasBatchError {
  declare readonly code: StorageErrorCode;
  /** The key the operation was about, if any. */
  readonly key: string | undefined;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super('storage', code, message, {
      cause: options.cause,
      retryable: options.retryable ?? RETRYABLE_CODES.has(code),
    });
    this.key = options.key;
  }
}

/** Whether `error` is a {@link StorageError}, optionally with the given code. */
export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
