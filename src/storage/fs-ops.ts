import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

/**
 * The file-system calls the fs driver's get/put/head/delete make, behind one async-shaped interface with two
 * implementations: `async` (libuv's thread pool, the default: never blocks the caller's event loop) and
 * `blocking` (plain system calls on the calling thread). Blocking suits a worker thread that does nothing but
 * file I/O: each call skips the pool's hand-offs, which cost more CPU than the call itself for small files.
 */
export interface FsOps {
  open(path: string, flags: number | string): Promise<number>;
  fstat(fd: number): Promise<BigIntStats>;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  writeAll(fd: number, bytes: Uint8Array): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<BigIntStats>;
  lstat(path: string): Promise<fs.Stats>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
}

/** How the fs driver makes its calls; see {@link FsOps}. */
export type FsIoMode = 'async' | 'blocking';

const fstatAsync = promisify(fs.fstat);
const readAsync = promisify(fs.read);
const writeAsync = promisify(fs.write);

const asyncOps: FsOps = {
  open: promisify(fs.open) as (path: string, flags: number | string) => Promise<number>,
  fstat: (fd) => fstatAsync(fd, { bigint: true }) as Promise<BigIntStats>,
  read: async (fd, buffer, offset, length, position) =>
    (await readAsync(fd, buffer, offset, length, position)).bytesRead,
  writeAll: async (fd, bytes) => {
    let done = 0;
    while (done < bytes.byteLength) {
      done += (await writeAsync(fd, bytes, done, bytes.byteLength - done, done)).bytesWritten;
    }
  },
  fsync: promisify(fs.fsync),
  close: promisify(fs.close),
  rename: fs.promises.rename,
  unlink: fs.promises.unlink,
  realpath: (path) => fs.promises.realpath(path),
  stat: (path) => fs.promises.stat(path, { bigint: true }),
  lstat: (path) => fs.promises.lstat(path),
  mkdir: async (path) => {
    await fs.promises.mkdir(path, { recursive: true }).catch((error: unknown) => {
      throw trueMkdirError(path, error);
    });
  },
  readdir: (path) => fs.promises.readdir(path),
};

/**
 * Node's recursive mkdir reports ENOENT when a folder on the way cannot be made (a read-only file system, a full
 * disk, no permission): the first missing folder is made once more, alone, to get the real reason (EROFS…).
 */
function trueMkdirError(path: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') return error;
  let missing = path;
  while (dirname(missing) !== missing && !fs.existsSync(dirname(missing))) missing = dirname(missing);
  if (dirname(missing) === missing) return error;
  try {
    fs.mkdirSync(missing);
    fs.rmdirSync(missing);
  } catch (real) {
    return real;
  }
  return error;
}

const blockingOps: FsOps = {
  open: async (path, flags) => fs.openSync(path, flags),
  fstat: async (fd) => fs.fstatSync(fd, { bigint: true }),
  read: async (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  writeAll: async (fd, bytes) => {
    let done = 0;
    while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, done);
  },
  fsync: async (fd) => fs.fsyncSync(fd),
  close: async (fd) => fs.closeSync(fd),
  rename: async (from, to) => fs.renameSync(from, to),
  unlink: async (path) => fs.unlinkSync(path),
  realpath: async (path) => fs.realpathSync.native(path),
  stat: async (path) => fs.statSync(path, { bigint: true }),
  lstat: async (path) => fs.lstatSync(path),
  mkdir: async (path) => {
    try {
      fs.mkdirSync(path, { recursive: true });
    } catch (error) {
      throw trueMkdirError(path, error);
    }
  },
  readdir: async (path) => fs.readdirSync(path),
};

export const fsOps = (mode: FsIoMode): FsOps => (mode === 'blocking' ? blockingOps : asyncOps);
