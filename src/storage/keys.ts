import { StorageError } from './errors.js';

/** Name prefix of the temporary files the `fs` driver writes before a rename; such keys are reserved. */
export const FS_TEMP_PREFIX = '.kb-tmp-';

/** The longest key S3 accepts, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Checks a key given to get/put/head/delete and returns it unchanged. Refused, with
 * `STORAGE_INVALID_KEY`: empty keys, keys starting or ending with '/', empty, '.' or '..' segments,
 * NUL characters, and keys longer than 1,024 UTF-8 bytes.
 */
export function checkKey(key: string, where: string): string {
  const refuse = (why: string): never => {
    throw new StorageError('STORAGE_INVALID_KEY', `invalid key ${JSON.stringify(key)} in ${where}: ${why}`, {
      key,
    });
  };
  if (typeof key !== 'string' || key.length === 0) refuse('a key must be a non-empty string');
  if (key.includes('\0')) refuse('a key may not contain NUL');
  if (key.startsWith('/'))
    refuse('a key is relative and may not start with "/" (absolute paths are refused)');
  if (key.endsWith('/')) refuse('a key names an object and may not end with "/"');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) refuse(`a key is at most ${MAX_KEY_BYTES} UTF-8 bytes`);
  for (const segment of key.split('/')) {
    if (segment === '') refuse('a key may not contain empty segments ("//")');
    if (segment === '.' || segment === '..')
      refuse('"." and ".." segments would escape the folder or prefix');
  }
  return key;
}

/**
 * Checks a listing prefix: '' is everything; otherwise like a key except that it may end with '/'
 * and its last segment may be partial.
 */
export function checkPrefix(prefix: string, where: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, where);
  return prefix;
}

/** Compares two keys by their UTF-8 bytes, the order S3 lists in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The body of a put as bytes (strings are UTF-8). */
export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
