import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageError } from './errors.js';
import { fsError } from './fs-errors.js';
import { fsEtag } from './fs-list.js';
import { ensureOpen, type FsContext, pathOf, realPathOf, realRoot } from './fs-paths.js';
import { prepareFolder } from './fs-write.js';
import { checkKey } from './keys.js';
import { type ByteRange, bodyFailure, markBodyErrors, type ObjectStream, type PutResult } from './types.js';

/**
 * Opens a file (or `range` of it) for reading chunk by chunk (64 KiB); links are followed only when they stay
 * inside the root.
 */
export async function fsGetStream(ctx: FsContext, key: string, range?: ByteRange): Promise<ObjectStream> {
  ensureOpen(ctx);
  const path = await realPathOf(ctx, key, 'get');
  const where = `get ${JSON.stringify(key)} in ${ctx.root}`;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw fsError(error, where, key);
  }
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile())
      throw fsError(Object.assign(new Error('not a file'), { code: 'EISDIR' }), where, key);
    const opened = handle;
    async function* body(): AsyncGenerator<Uint8Array> {
      // The stream owns the handle from here: it closes it at the end, on an error or when destroyed.
      // `end` is inclusive here.
      const bounds = range ? { start: range.start, end: range.end - 1 } : {};
      const stream = opened.createReadStream({ highWaterMark: 1 << 16, autoClose: true, ...bounds });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        throw fsError(error, where, key);
      } finally {
        stream.destroy();
      }
    }
    return {
      key,
      size: Number(stats.size),
      etag: fsEtag(stats),
      lastModified: new Date(Number(stats.mtimeMs)),
      body: body(),
    };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Writes chunks to a temporary file in the key's folder and renames it into place: whole or absent. */
export async function fsPutStream(
  ctx: FsContext,
  key: string,
  body: AsyncIterable<Uint8Array | string>,
): Promise<PutResult> {
  ensureOpen(ctx);
  checkKey(key, ctx.root);
  const real = await realRoot(ctx, key);
  const path = pathOf(ctx, real, key, 'put');
  const lexicalDir = dirname(path);
  const dir = ctx.writableDirs.get(lexicalDir) ?? (await prepareFolder(ctx, real, lexicalDir, key));
  ctx.tempCounter += 1;
  const temp = join(dir, `${ctx.tempStem}${ctx.tempCounter}`);
  try {
    const handle = await open(temp, 'wx');
    try {
      for await (const chunk of markBodyErrors(body)) {
        if (typeof chunk === 'string') await handle.write(chunk);
        else await handle.write(chunk);
      }
      if (ctx.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    ensureOpen(ctx);
    await ctx.ops.rename(temp, join(dir, path.slice(lexicalDir.length + 1)));
    return {};
  } catch (error) {
    await ctx.ops.unlink(temp).catch(() => undefined);
    const failed = bodyFailure(error);
    if (failed) throw failed.error;
    if (error instanceof StorageError) throw error;
    throw fsError(error, `put ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
}
