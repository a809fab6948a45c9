import { StorageError, type StorageErrorCode } from './errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);
const DENIED_NAMES = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AllAccessDisabled',
  'XAdminUserNotFound', // versitygw's answer (HTTP 404) to an unknown access key
]);
const THROTTLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

/** Replaces every occurrence of the given secrets by `***`. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/** Whether an error thrown while reading a response body is a transient transport failure. */
export function isTransientTransportError(error: unknown): boolean {
  const e = (error ?? {}) as SdkErrorShape;
  return (
    NETWORK_CODES.has(e.code ?? '') ||
    e.name === 'TimeoutError' ||
    /aborted|socket hang up|premature close/i.test(e.message ?? '')
  );
}

/**
 * Turns an SDK or network error into a {@link StorageError}. `action` names the operation and the location
 * (e.g. `get s3://bucket/prefix/key @ endpoint`). Credentials listed in `secrets` are scrubbed from every
 * text; the SDK error itself is not attached (it could carry request details), only a scrubbed copy.
 */
export function s3Error(
  error: unknown,
  action: string,
  secrets: readonly (string | undefined)[],
  key?: string,
): StorageError {
  if (error instanceof StorageError) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts;
  let code: StorageErrorCode;
  let retryable: boolean | undefined;
  if (DENIED_NAMES.has(name)) code = 'STORAGE_ACCESS_DENIED';
  else if (NOT_FOUND_NAMES.has(name) || status === 404) code = 'STORAGE_NOT_FOUND';
  else if (status === 403 || status === 401) code = 'STORAGE_ACCESS_DENIED';
  else if (name === 'CredentialsProviderError') code = 'STORAGE_CONFIG';
  else if (name === 'AbortError') {
    code = 'STORAGE_IO';
    retryable = false;
  } else if (THROTTLE_NAMES.has(name) || status === 429 || (status !== undefined && status >= 500)) {
    code = 'STORAGE_UNAVAILABLE';
  } else if (isTransientTransportError(error) || (status === undefined && e.code !== undefined)) {
    code = 'STORAGE_UNREACHABLE';
  } else {
    code = 'STORAGE_IO';
    retryable = false;
  }
  const detail = [
    name,
    status !== undefined ? `HTTP ${status}` : e.code,
    attempts !== undefined && attempts > 1 ? `after ${attempts} attempts` : undefined,
    e.$metadata?.requestId ? `request id ${e.$metadata.requestId}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const text = scrub(`${action} failed: ${e.message || name} (${detail})`, secrets);
  const cause = new Error(scrub(e.message ?? name, secrets));
  cause.name = name;
  return new StorageError(code, text, { cause, key, retryable });
}
