import { constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { StorageError } from './errors.js';
import { errnoCode, fsError } from './fs-errors.js';
import { fsEntry, fsEtag } from './fs-list.js';
import type { FsOps } from './fs-ops.js';
import { ensureOpen, type FsContext, pathOf, realPathOf, realRoot, safeDir } from './fs-paths.js';
import { checkKey } from './keys.js';
import type { ObjectInfo, StoredObject } from './types.js';

export async function fsHead(ctx: FsContext, key: string): Promise<ObjectInfo | null> {
  ensureOpen(ctx);
  let target: string;
  try {
    target = await realPathOf(ctx, key, 'head');
  } catch (error) {
    if (error instanceof StorageError && error.code === 'STORAGE_NOT_FOUND') return null;
    throw error;
  }
  try {
    const stats = await ctx.ops.stat(target);
    if (!stats.isFile()) return null;
    const entry = fsEntry(key, stats);
    return { size: entry.size, etag: entry.etag, lastModified: entry.lastModified };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw fsError(error, `head ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
}

export async function fsGet(ctx: FsContext, key: string): Promise<StoredObject> {
  ensureOpen(ctx);
  checkKey(key, ctx.root);
  const real = await realRoot(ctx, key);
  const path = pathOf(ctx, real, key, 'get');
  try {
    // Fast path: the folder is known to be inside and the file is not a link (O_NOFOLLOW refuses links).
    const dir = await safeDir(ctx, real, dirname(path), key);
    return await readWhole(
      ctx.ops,
      join(dir, path.slice(dirname(path).length + 1)),
      constants.O_RDONLY | constants.O_NOFOLLOW,
      key,
    );
  } catch (error) {
    if (error instanceof StorageError) throw error;
    if (errnoCode(error) !== 'ELOOP') throw fsError(error, `get ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
  // The key is a symbolic link: follow it only if it stays inside the root.
  const target = await realPathOf(ctx, key, 'get');
  try {
    return await readWhole(ctx.ops, target, constants.O_RDONLY, key);
  } catch (error) {
    throw fsError(error, `get ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
}

async function readWhole(ops: FsOps, path: string, flags: number, key: string): Promise<StoredObject> {
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
}
