import { rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageError } from './errors.js';
import { errnoCode, fsError } from './fs-errors.js';
import { isInside } from './fs-list.js';
import type { FsOps } from './fs-ops.js';
import { checkAncestors, ensureOpen, escapes, type FsContext, pathOf, realRoot } from './fs-paths.js';
import { checkKey, FS_TEMP_PREFIX, toBytes } from './keys.js';
import type { PutBody, PutResult } from './types.js';

/** Temp files older than this are leftovers of a killed writer (a live put finishes in far less). */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** Writes a temporary file in the key's folder and renames it into place: the object is whole or absent. */
export async function fsPut(ctx: FsContext, key: string, body: PutBody): Promise<PutResult> {
  ensureOpen(ctx);
  const { ops } = ctx;
  const bytes = toBytes(body);
  checkKey(key, ctx.root);
  const real = await realRoot(ctx, key);
  const path = pathOf(ctx, real, key, 'put');
  const lexicalDir = dirname(path);
  let dir = ctx.writableDirs.get(lexicalDir) ?? (await prepareFolder(ctx, real, lexicalDir, key));
  ctx.tempCounter += 1;
  let temp = join(dir, `${ctx.tempStem}${ctx.tempCounter}`);
  try {
    const fd = await ops.open(temp, 'wx').catch(async (error: unknown) => {
      // The folder was removed since it was made (an emptied folder removed, fsRemoveEmptyFolder): make it again.
      if (errnoCode(error) !== 'ENOENT') throw error;
      ctx.writableDirs.delete(lexicalDir);
      dir = await prepareFolder(ctx, real, lexicalDir, key);
      temp = join(dir, `${ctx.tempStem}${ctx.tempCounter}`);
      return ops.open(temp, 'wx');
    });
    try {
      await ops.writeAll(fd, bytes);
      if (ctx.fsync) await ops.fsync(fd);
    } finally {
      await ops.close(fd);
    }
    await ops.rename(temp, join(dir, path.slice(lexicalDir.length + 1)));
    return {};
  } catch (error) {
    await ops.unlink(temp).catch(() => undefined);
    if (error instanceof StorageError) throw error;
    throw fsError(error, `put ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
}

/** Creates a put's folder (checking no link on the way leaves the root) and returns its real path. */
export async function prepareFolder(
  ctx: FsContext,
  real: string,
  lexicalDir: string,
  key: string,
): Promise<string> {
  await checkAncestors(ctx, real, lexicalDir, key);
  try {
    await ctx.ops.mkdir(lexicalDir);
  } catch (error) {
    throw fsError(error, `put ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
  await checkAncestors(ctx, real, lexicalDir, key);
  const dir = await ctx.ops.realpath(lexicalDir);
  ctx.writableDirs.set(lexicalDir, dir);
  await sweepStaleTemps(ctx.ops, dir);
  return dir;
}

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

export async function fsDelete(ctx: FsContext, key: string): Promise<void> {
  ensureOpen(ctx);
  checkKey(key, ctx.root);
  const real = await realRoot(ctx, key);
  const path = pathOf(ctx, real, key, 'delete');
  try {
    const parent = await ctx.ops.realpath(dirname(path));
    if (!isInside(real, parent)) throw escapes(ctx, key);
    await ctx.ops.unlink(join(parent, key.split('/').pop()!));
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw fsError(error, `delete ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
}

/**
 * Removes the folder of `prefix` (`a/b/` → folder `a/b`) if it is empty, as an S3 "folder" ends with its last
 * object. A folder that is missing, not empty or cannot be removed is left as it is (best effort).
 */
export async function fsRemoveEmptyFolder(
  ctx: FsContext,
  prefix: string,
  options: { leftoverTemps?: boolean } = {},
): Promise<void> {
  ensureOpen(ctx);
  const key = prefix.replace(/\/+$/, '');
  if (!key) return;
  checkKey(key, ctx.root);
  const real = await realRoot(ctx, key);
  const path = pathOf(ctx, real, key, 'remove folder');
  try {
    const dir = await ctx.ops.realpath(path);
    if (!isInside(real, dir) || dir === real) return;
    if (options.leftoverTemps)
      for (const name of await ctx.ops.readdir(dir))
        if (name.startsWith(FS_TEMP_PREFIX) && !name.startsWith(ctx.tempStem))
          await ctx.ops.unlink(join(dir, name)).catch(() => undefined);
    await rmdir(dir);
    ctx.writableDirs.delete(path);
    ctx.safeDirs.delete(path);
  } catch {
    // not empty, missing, or not ours to remove
  }
}
