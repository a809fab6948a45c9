import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StorageError } from './errors.js';
import { errnoCode, fsError } from './fs-errors.js';
import { fsEntry, fsEtag, isInside, walkFolder } from './fs-list.js';
import { type FsOps, fsOps } from './fs-ops.js';
import type { FsDriverOptions } from './fs-options.js';
import { checkKey, checkPrefix, FS_TEMP_PREFIX, toBytes } from './keys.js';
import type {
  BucketDriver,
  ListOptions,
  ObjectEntry,
  ObjectInfo,
  PutBody,
  PutResult,
  StoredObject,
} from './types.js';

/** Temp files older than this are leftovers of a killed writer (a live put finishes in far less). */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** Removes temp files a killed process left in a folder this driver is about to write into. */
async function sweepStaleTemps(ops: FsOps, dir: string): Promise<void> {
  try {
    const names = await ops.readdir(dir);
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of names) {
      if (!name.startsWith(FS_TEMP_PREFIX)) continue;
      const path = join(dir, name);
      const stats = await ops.lstat(path).catch(() => null);
      if (stats?.isFile() && stats.mtimeMs < cutoff) await ops.unlink(path).catch(() => undefined);
    }
  } catch {
    // Best effort: a folder we cannot list will fail the put itself with a clear error.
  }
}

export type { FsDriverOptions } from './fs-options.js';

/** Defaults of {@link FsDriverOptions}. */
export const FS_DRIVER_DEFAULTS = { create: false, pageSize: 1000, fsync: false, io: 'async' } as const;

/**
 * A local folder as a bucket (the embedded default). Keys are '/'-separated paths relative to the folder.
 * Listing is recursive, sorted and paged; puts write a temporary file in the target folder and rename it,
 * so an object is whole or absent. Keys with '..', absolute keys and symbolic links leading outside the
 * folder are refused with `STORAGE_INVALID_KEY`.
 */
export function createFsDriver(options: FsDriverOptions): BucketDriver {
  const opts = { ...FS_DRIVER_DEFAULTS, ...options };
  if (!opts.root) throw new StorageError('STORAGE_CONFIG', 'the fs driver needs a root folder');
  if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1) {
    throw new StorageError('STORAGE_CONFIG', `pageSize must be a positive integer, got ${opts.pageSize}`);
  }
  const root = resolve(opts.root);
  const ops = fsOps(opts.io);
  let realRootCache: string | undefined;
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `the fs driver for ${root} is closed`);
  };

  /** The real path of the root; a missing root is `STORAGE_NOT_FOUND` unless `create` makes it. */
  const realRoot = async (key?: string): Promise<string> => {
    if (realRootCache) return realRootCache;
    try {
      if (opts.create) await ops.mkdir(root);
      const real = await ops.realpath(root);
      if (!(await ops.stat(real)).isDirectory()) {
        throw new StorageError('STORAGE_NOT_FOUND', `${root} is not a folder`, { key });
      }
      realRootCache = real;
      return real;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        throw new StorageError('STORAGE_NOT_FOUND', `folder ${root} does not exist`, { cause: error, key });
      }
      throw fsError(error, `open folder ${root}`, key);
    }
  };

  const escapes = (key: string) =>
    new StorageError(
      'STORAGE_INVALID_KEY',
      `key ${JSON.stringify(key)} resolves outside ${root} through a symbolic link`,
      { key },
    );

  /** The absolute path of a key after checking it cannot leave the root lexically. */
  const pathOf = (real: string, key: string, action: string): string => {
    checkKey(key, root);
    if (key.split('/').some((s) => s.startsWith(FS_TEMP_PREFIX))) {
      throw new StorageError(
        'STORAGE_INVALID_KEY',
        `key ${JSON.stringify(key)} uses the reserved name prefix ${FS_TEMP_PREFIX} (${action})`,
        { key },
      );
    }
    return join(real, ...key.split('/'));
  };

  /** The real path of an existing key, refused if a symbolic link takes it outside the root. */
  const realPathOf = async (key: string, action: string): Promise<string> => {
    checkKey(key, root);
    const real = await realRoot(key);
    const path = pathOf(real, key, action);
    let target: string;
    try {
      target = await ops.realpath(path);
    } catch (error) {
      throw fsError(error, `${action} ${JSON.stringify(key)} in ${root}`, key);
    }
    if (!isInside(real, target) || target === real) throw escapes(key);
    return target;
  };

  /** Checks that the deepest existing ancestor of `dir` is inside the root (no escaping link on the way). */
  const checkAncestors = async (real: string, dir: string, key: string): Promise<void> => {
    let probe = dir;
    for (;;) {
      try {
        const target = await ops.realpath(probe);
        if (!isInside(real, target)) throw escapes(key);
        return;
      } catch (error) {
        if (error instanceof StorageError) throw error;
        const parent = dirname(probe);
        if (errnoCode(error) !== 'ENOENT' || parent === probe)
          throw fsError(error, `put ${JSON.stringify(key)}`, key);
        probe = parent;
      }
    }
  };

  const head = async (key: string): Promise<ObjectInfo | null> => {
    ensureOpen();
    let target: string;
    try {
      target = await realPathOf(key, 'head');
    } catch (error) {
      if (error instanceof StorageError && error.code === 'STORAGE_NOT_FOUND') return null;
      throw error;
    }
    try {
      const stats = await ops.stat(target);
      if (!stats.isFile()) return null;
      const entry = fsEntry(key, stats);
      return { size: entry.size, etag: entry.etag, lastModified: entry.lastModified };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw fsError(error, `head ${JSON.stringify(key)} in ${root}`, key);
    }
  };

  /**
   * Folders already proven to resolve inside the root (their real path). Checking a folder once per driver
   * instead of resolving every key keeps a 10,000-file job from spending its time in realpath(3).
   */
  const safeDirs = new Map<string, string>();
  const safeDir = async (real: string, dir: string, key: string): Promise<string> => {
    const known = safeDirs.get(dir);
    if (known) return known;
    const target = await ops.realpath(dir);
    if (!isInside(real, target)) throw escapes(key);
    safeDirs.set(dir, target);
    return target;
  };

  const readWhole = async (path: string, flags: number, key: string): Promise<StoredObject> => {
    const fd = await ops.open(path, flags);
    try {
      const stats = await ops.fstat(fd);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      // Read the size fstat gave in one call (readFile would fstat again): the body matches the etag's version.
      const size = Number(stats.size);
      const buffer = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const bytesRead = await ops.read(fd, buffer, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      const body = filled === size ? buffer : buffer.subarray(0, filled);
      return {
        key,
        body,
        size: body.byteLength,
        etag: fsEtag(stats),
        lastModified: new Date(Number(stats.mtimeMs)),
      };
    } finally {
      await ops.close(fd);
    }
  };

  const get = async (key: string): Promise<StoredObject> => {
    ensureOpen();
    checkKey(key, root);
    const real = await realRoot(key);
    const path = pathOf(real, key, 'get');
    try {
      // Fast path: the folder is known to be inside and the file is not a link (O_NOFOLLOW refuses links).
      const dir = await safeDir(real, dirname(path), key);
      return await readWhole(
        join(dir, path.slice(dirname(path).length + 1)),
        constants.O_RDONLY | constants.O_NOFOLLOW,
        key,
      );
    } catch (error) {
      if (error instanceof StorageError) throw error;
      if (errnoCode(error) !== 'ELOOP') throw fsError(error, `get ${JSON.stringify(key)} in ${root}`, key);
    }
    // The key is a symbolic link: follow it only if it stays inside the root.
    const target = await realPathOf(key, 'get');
    try {
      return await readWhole(target, constants.O_RDONLY, key);
    } catch (error) {
      throw fsError(error, `get ${JSON.stringify(key)} in ${root}`, key);
    }
  };

  /** Folders this driver created or checked for puts, by lexical path → real path. */
  const writableDirs = new Map<string, string>();
  const tempStem = `${FS_TEMP_PREFIX}${randomBytes(6).toString('hex')}-`;
  let tempCounter = 0;

  const put = async (key: string, body: PutBody): Promise<PutResult> => {
    ensureOpen();
    const bytes = toBytes(body);
    checkKey(key, root);
    const real = await realRoot(key);
    const path = pathOf(real, key, 'put');
    const lexicalDir = dirname(path);
    let dir = writableDirs.get(lexicalDir);
    if (!dir) {
      await checkAncestors(real, lexicalDir, key);
      try {
        await ops.mkdir(lexicalDir);
      } catch (error) {
        throw fsError(error, `put ${JSON.stringify(key)} in ${root}`, key);
      }
      await checkAncestors(real, lexicalDir, key);
      dir = await ops.realpath(lexicalDir);
      writableDirs.set(lexicalDir, dir);
      await sweepStaleTemps(ops, dir);
    }
    tempCounter += 1;
    const temp = join(dir, `${tempStem}${tempCounter}`);
    try {
      const fd = await ops.open(temp, 'wx');
      try {
        await ops.writeAll(fd, bytes);
        if (opts.fsync) await ops.fsync(fd);
      } finally {
        await ops.close(fd);
      }
      await ops.rename(temp, join(dir, path.slice(lexicalDir.length + 1)));
      return {};
    } catch (error) {
      await ops.unlink(temp).catch(() => undefined);
      if (error instanceof StorageError) throw error;
      throw fsError(error, `put ${JSON.stringify(key)} in ${root}`, key);
    }
  };

  const del = async (key: string): Promise<void> => {
    ensureOpen();
    checkKey(key, root);
    const real = await realRoot(key);
    const path = pathOf(real, key, 'delete');
    try {
      const parent = await ops.realpath(dirname(path));
      if (!isInside(real, parent)) throw escapes(key);
      await ops.unlink(join(parent, key.split('/').pop()!));
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw fsError(error, `delete ${JSON.stringify(key)} in ${root}`, key);
    }
  };

  async function* list(prefix = '', listOptions: ListOptions = {}): AsyncGenerator<ObjectEntry[]> {
    ensureOpen();
    checkPrefix(prefix, root);
    const pageSize = listOptions.pageSize ?? opts.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new StorageError('STORAGE_CONFIG', `pageSize must be a positive integer, got ${pageSize}`);
    }
    const real = await realRoot();
    for await (const page of walkFolder(real, prefix, pageSize, listOptions.signal)) {
      ensureOpen();
      yield page;
    }
  }

  return {
    kind: 'fs',
    fsOptions: { root, create: opts.create, pageSize: opts.pageSize, fsync: opts.fsync },
    list,
    get,
    put,
    head,
    delete: del,
    describe: () => root,
    close: async () => {
      closed = true;
    },
  };
}
