import { StorageError, type StorageErrorCode } from './errors.js';

const RETRYABLE_FS_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR', 'EIO', 'ETIMEDOUT']);

/** The errno code of a Node.js system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Turns a Node.js file-system error into a {@link StorageError}. `action` says what was being done,
 * e.g. `get "a/b.json" in /data/in`.
 */
export function fsError(error: unknown, action: string, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = errnoCode(error);
  let storageCode: StorageErrorCode = 'STORAGE_IO';
  let why: string;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      storageCode = 'STORAGE_NOT_FOUND';
      why = 'no such file or folder';
      break;
    case 'EISDIR':
      storageCode = 'STORAGE_NOT_FOUND';
      why = 'the key names a folder, not an object';
      break;
    case 'EACCES':
    case 'EPERM':
      storageCode = 'STORAGE_ACCESS_DENIED';
      why = 'permission denied';
      break;
    case 'EROFS':
      storageCode = 'STORAGE_READ_ONLY';
      why = 'the file system is read-only';
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      storageCode = 'STORAGE_FULL';
      why = code === 'ENOSPC' ? 'no space left on the device' : 'over the disk quota';
      break;
    case 'ENAMETOOLONG':
      storageCode = 'STORAGE_INVALID_KEY';
      why = 'a file name in the key is too long for this file system';
      break;
    default:
      why = error instanceof Error ? error.message : String(error);
  }
  return new StorageError(storageCode, `${action} failed: ${why}${code ? ` (${code})` : ''}`, {
    cause: error,
    key,
    retryable: storageCode === 'STORAGE_IO' ? RETRYABLE_FS_CODES.has(code ?? '') : undefined,
  });
}
