import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError } from './errors.js';

/** A local folder used as a bucket. */
export interface FsLocation {
  kind: 'fs';
  /** Absolute folder path (resolved lexically against the working directory). */
  path: string;
}

/** A bucket, or a prefix of it, on an S3-compatible service. */
export interface S3Location {
  kind: 's3';
  bucket: string;
  /** '' for the whole bucket, else a prefix ending with '/'. */
  prefix: string;
  /** The endpoint, when known (it is not part of the `s3://` text; the connection supplies it). */
  endpoint?: string;
}

/** Where a driver reads or writes: a folder or an S3 bucket prefix. */
export type Location = FsLocation | S3Location;

/** Options of {@link parseLocation}. */
export interface ParseLocationOptions {
  /** Folder that relative paths resolve against. Default `process.cwd()`. */
  cwd?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/i;

const invalid = (text: string, why: string) =>
  new StorageError('STORAGE_INVALID_LOCATION', `invalid location ${JSON.stringify(text)}: ${why}`);

/**
 * Parses `./dir`, `/abs/dir`, `dir`, `file:///abs/dir`, `s3://bucket` and `s3://bucket/prefix` into a
 * {@link Location}. An S3 prefix is treated as a folder: `s3://b/in` and `s3://b/in/` are the same.
 * Other schemes, empty text, bad bucket names and '.'/'..' segments in a prefix fail with
 * `STORAGE_INVALID_LOCATION`.
 */
export function parseLocation(text: string, options: ParseLocationOptions = {}): Location {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed === '') throw invalid(String(text), 'a location is a folder path or s3://bucket[/prefix]');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    const rest = trimmed.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (bucket.includes('@') || bucket.includes(':')) {
      throw invalid(text, 'put credentials and endpoints in the connection, not in the location');
    }
    if (!BUCKET_NAME.test(bucket)) {
      throw invalid(text, `"${bucket}" is not a bucket name (3-63 letters, digits, '.', '-', '_')`);
    }
    const rawPrefix = slash < 0 ? '' : rest.slice(slash + 1);
    const segments = rawPrefix.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '.' || s === '..'))
      throw invalid(text, '"." and ".." are not allowed in a prefix');
    if (rawPrefix.includes('\0')) throw invalid(text, 'NUL is not allowed');
    return { kind: 's3', bucket, prefix: segments.length === 0 ? '' : `${segments.join('/')}/` };
  }
  if (scheme === 'file') {
    try {
      return { kind: 'fs', path: resolve(fileURLToPath(trimmed)) };
    } catch (error) {
      throw invalid(text, error instanceof Error ? error.message : String(error));
    }
  }
  if (scheme !== undefined)
    throw invalid(text, `unsupported scheme ${scheme}:// (use a folder path or s3://)`);
  return { kind: 'fs', path: resolve(options.cwd ?? process.cwd(), trimmed) };
}

/** The canonical text of a location: the absolute folder, or `s3://bucket/prefix/`. */
export function formatLocation(location: Location): string {
  return location.kind === 'fs' ? location.path : `s3://${location.bucket}/${location.prefix}`;
}

/** A path with symbolic links resolved for the part that exists; the rest is appended as written. */
function realish(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(head), ...tail);
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      tail.unshift(basename(head));
      head = parent;
    }
  }
}

const within = (outer: string, inner: string) => {
  const rel = relative(outer, inner);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
};

/**
 * Whether two locations share objects: the same bucket with one prefix inside the other, or the same
 * folder or nested folders after resolving symbolic links. The batch job refuses a target that overlaps
 * its source. S3 locations with different known endpoints never overlap; an fs and an s3 location neither.
 */
export function locationsOverlap(a: Location, b: Location): boolean {
  if (a.kind === 's3' && b.kind === 's3') {
    if (a.endpoint && b.endpoint && a.endpoint.replace(/\/+$/, '') !== b.endpoint.replace(/\/+$/, '')) {
      return false;
    }
    if (a.bucket !== b.bucket) return false;
    return a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  }
  if (a.kind === 'fs' && b.kind === 'fs') {
    const pa = realish(a.path);
    const pb = realish(b.path);
    return within(pa, pb) || within(pb, pa);
  }
  return false;
}
