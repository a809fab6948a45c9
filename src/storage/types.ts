/**
 * The bucket driver interface: one shape for a local folder and an S3-compatible bucket.
 * Keys are '/'-separated and relative to the driver's scope (the folder, or the bucket prefix).
 */

import type { FsDriverOptions } from './fs-options.js';

/** One object found by {@link BucketDriver.list}. */
export interface ObjectEntry {
  /** The key relative to the driver's scope, '/'-separated, never starting with '/'. */
  key: string;
  /** Size in bytes. */
  size: number;
  /**
   * A version token that changes when the content changes: the S3 ETag (without quotes), or for `fs`
   * a token made of the size and the modification time in nanoseconds.
   */
  etag: string;
  /** Last modification time. */
  lastModified: Date;
}

/** What {@link BucketDriver.head} knows about an object. */
export interface ObjectInfo {
  size: number;
  etag: string;
  lastModified: Date;
  /** The stored content type, when the backend keeps one (S3). */
  contentType?: string;
}

/** An object read whole by {@link BucketDriver.get}. */
export interface StoredObject extends ObjectInfo {
  key: string;
  /** The whole content. */
  body: Uint8Array;
}

/** Bytes `[start, end)` of an object (`end > start`): what a ranged {@link BucketDriver.getStream} reads. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An object opened for reading as a stream by {@link BucketDriver.getStream}. */
export interface ObjectStream extends ObjectInfo {
  key: string;
  /** The content, chunk by chunk; read it once. */
  body: AsyncIterable<Uint8Array>;
}

/** Options of {@link BucketDriver.list}. */
export interface ListOptions {
  /**
   * The most entries in one page. `fs` defaults to 1,000; `s3` leaves it to the server (1,000 for AWS,
   * IBM COS and MinIO). A server may return fewer per page than asked.
   */
  pageSize?: number;
  /** Stops the listing between pages. */
  signal?: AbortSignal;
}

/** Options of {@link BucketDriver.put}. */
export interface PutOptions {
  /** Content type stored with the object (S3 only; `fs` ignores it). */
  contentType?: string;
}

/** What a completed {@link BucketDriver.put} returns. */
export interface PutResult {
  /** The new version token, when the backend reports one cheaply. */
  etag?: string;
}

/** The content a driver accepts for a whole-object put. Strings are written as UTF-8. */
export type PutBody = Uint8Array | string;

/** Which implementation a driver is. */
export type DriverKind = 'fs' | 's3';

/**
 * A bucket: a local folder or an S3-compatible bucket prefix.
 *
 * All failures are {@link StorageError}s with stable codes; `retryable` tells the batch runner whether
 * trying again could help.
 */
export interface BucketDriver {
  /** The implementation behind this driver. */
  readonly kind: DriverKind;

  /**
   * For a local folder: the options with which another thread of this process opens the same folder
   * (`createFsDriver`), so file I/O can run on worker threads. Absent for other drivers.
   */
  readonly fsOptions?: FsDriverOptions;

  /**
   * Lists the objects whose key starts with `prefix` (a plain string prefix, as in S3: `a/b` matches
   * `a/b.json` and `a/b/c.json`), page by page, in ascending key order (by UTF-8 bytes). Only one page of
   * entries is held at a time. A missing bucket or folder fails with `STORAGE_NOT_FOUND`.
   */
  list(prefix?: string, options?: ListOptions): AsyncIterable<ObjectEntry[]>;

  /** Reads a whole object. A missing key fails with `STORAGE_NOT_FOUND`. */
  get(key: string): Promise<StoredObject>;

  /**
   * Writes a whole object, replacing any previous one. Readers see the old object or the new one,
   * never part of the new one.
   */
  put(key: string, body: PutBody, options?: PutOptions): Promise<PutResult>;

  /**
   * Reads an object chunk by chunk, never holding it whole (large JSON Lines or CSV inputs); with `range`, only
   * those bytes (the info is still the whole object's). Optional: without it, {@link openObjectStream} falls back
   * to {@link get}. A body cut off mid-stream fails the read.
   */
  getStream?(key: string, range?: ByteRange): Promise<ObjectStream>;

  /**
   * Writes an object from chunks, never holding it whole; like {@link put}, readers see the old object or the
   * new one whole. Optional: without it, {@link putObjectStream} gathers the chunks and calls {@link put}.
   */
  putStream?(key: string, body: AsyncIterable<Uint8Array | string>, options?: PutOptions): Promise<PutResult>;

  /** Size, version and time of an object, or `null` when the key does not exist. */
  head(key: string): Promise<ObjectInfo | null>;

  /** Deletes an object. Deleting a missing key succeeds. */
  delete(key: string): Promise<void>;

  /**
   * Removes the folder of `prefix` (`a/b/`) when it holds nothing, as an S3 "folder" ends with its last object
   * (`fs` only; S3 has no folders). Best effort: a folder in use or not empty stays. With `leftoverTemps`, the
   * temp files of other writers in it go first: for a folder only small writes use (the claims of a job), where
   * such a file outlives its write only when its process was killed mid-write.
   */
  removeEmptyFolder?(prefix: string, options?: { leftoverTemps?: boolean }): Promise<void>;

  /** A secret-free description: `s3://bucket/prefix/ @ endpoint` or the absolute folder path. */
  describe(): string;

  /** Releases sockets and handles. Later calls fail with `STORAGE_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

/** Reads every entry of a listing one by one, for callers that do not care about pages. */
export async function* listEntries(
  driver: Pick<BucketDriver, 'list'>,
  prefix?: string,
  options?: ListOptions,
): AsyncGenerator<ObjectEntry> {
  for await (const page of driver.list(prefix, options)) yield* page;
}

/**
 * Iterates a put's body, marking its errors: a put that fails because its body failed rethrows the body's own
 * error (see {@link bodyFailure}), not a storage error of its own.
 */
export async function* markBodyErrors<T>(body: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* body;
  } catch (error) {
    throw new BodyFailure(error);
  }
}

class BodyFailure {
  constructor(readonly error: unknown) {}
}

/** The body's own error when a streamed put failed because its body did, else undefined. */
export const bodyFailure = (error: unknown): { error: unknown } | undefined =>
  error instanceof BodyFailure ? error : undefined;

/**
 * Opens an object (or `range` of it) as a stream: the driver's own `getStream`, or a whole `get` given as one
 * chunk.
 */
export async function openObjectStream(
  driver: Pick<BucketDriver, 'get' | 'getStream'>,
  key: string,
  range?: ByteRange,
): Promise<ObjectStream> {
  if (driver.getStream) return driver.getStream(key, range);
  const { body, ...info } = await driver.get(key);
  const bytes = range ? body.subarray(range.start, range.end) : body;
  return {
    ...info,
    body: (async function* () {
      yield bytes;
    })(),
  };
}

/** Writes an object from chunks: the driver's own `putStream`, or the chunks gathered and `put` whole. */
export async function putObjectStream(
  driver: Pick<BucketDriver, 'put' | 'putStream'>,
  key: string,
  body: AsyncIterable<Uint8Array | string>,
  options?: PutOptions,
): Promise<PutResult> {
  if (driver.putStream) return driver.putStream(key, body, options);
  const chunks: Buffer[] = [];
  for await (const chunk of body)
    chunks.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
  return driver.put(key, Buffer.concat(chunks), options);
}
