/**
 * Model uploads, streamed to files: each upload's files go to the server's upload folder (the data dir's
 * `uploads/`) as they arrive, never held whole in memory, and are removed when the request ends however it
 * ends (stored, refused, or the client gone). At most `uploads-concurrent` uploads are received (and their
 * models loaded) at once; one more is refused at once with a 503 and `Retry-After`.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply } from 'fastify';
import { currentLimits, formatBytes } from '../util/limits.js';
import { ApiError } from './errors.js';

/** Seconds a client refused for too many uploads is asked to wait. */
export const UPLOAD_RETRY_AFTER_S = 5;

/** One upload's temp files: made by {@link TempFiles.next}, all removed by {@link TempFiles.removeAll}. */
export class TempFiles {
  private readonly paths: string[] = [];

  constructor(private readonly dir: string) {}

  /** A new temp file path in the upload folder (the file is not created). */
  next(): string {
    const path = join(this.dir, `upload-${process.pid}-${randomUUID()}`);
    this.paths.push(path);
    return path;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.paths.map((p) => rm(p, { force: true })));
  }
}

/** The server's upload folder and the count of uploads being received. */
export class UploadSpace {
  private active = 0;

  constructor(
    readonly dir: string,
    /** Largest file of an upload, in bytes (`serve --max-upload`). */
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    removeStale(dir);
  }

  /** Uploads being received now. */
  get count(): number {
    return this.active;
  }

  /**
   * Runs one upload: refused with a 503 when `uploads-concurrent` are already being received, else `fn` with
   * the upload's temp files, removed afterwards (success, error or client abort alike).
   */
  async run<T>(reply: FastifyReply, fn: (temp: TempFiles) => Promise<T>): Promise<T> {
    const limit = currentLimits().uploadsConcurrent;
    if (this.active >= limit) {
      // The unread body is not drained: the connection closes after the answer.
      void reply.header('retry-after', String(UPLOAD_RETRY_AFTER_S)).header('connection', 'close');
      throw new ApiError(
        503,
        'UPLOADS_BUSY',
        `${this.active} model uploads are being received, the uploads-concurrent limit of ${limit}: ` +
          `try again in ${UPLOAD_RETRY_AFTER_S} s (Retry-After), or raise it with --limit uploads-concurrent=<value> ` +
          'or KERAS_BATCH_LIMITS="uploads-concurrent=<value>" (docs/limits.md)',
      );
    }
    this.active += 1;
    const temp = new TempFiles(this.dir);
    try {
      return await fn(temp);
    } finally {
      this.active -= 1;
      await temp.removeAll();
    }
  }

  /** The 413 of a file over `--max-upload`. */
  tooLarge(what: string): ApiError {
    return new ApiError(
      413,
      'PAYLOAD_TOO_LARGE',
      `${what} is over the upload limit of ${formatBytes(this.maxBytes)} (serve --max-upload)`,
    );
  }

  /**
   * Writes a stream to a new temp file, refusing it (413) once it passes `maxBytes`; returns the path and size.
   * A stream that fails (the client gone) rejects, and the file goes with the upload's others.
   */
  async toFile(
    source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    temp: TempFiles,
    what: string,
    maxBytes = this.maxBytes,
  ): Promise<{ path: string; size: number }> {
    const path = temp.next();
    let size = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        size += chunk.length;
        if (size > maxBytes) done(this.tooLarge(what));
        else done(null, chunk);
      },
    });
    await pipeline(source as AsyncIterable<Uint8Array>, counter, createWriteStream(path));
    return { path, size };
  }
}

/** Removes the temp files that processes no longer running left (a server killed mid-upload). */
function removeStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^upload-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
