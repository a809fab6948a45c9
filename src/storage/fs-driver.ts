import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { StorageError } from './errors.js';
import { walkFolder } from './fs-list.js';
import { fsOps } from './fs-ops.js';
import type { FsDriverOptions } from './fs-options.js';
import { ensureOpen, type FsContext, realRoot } from './fs-paths.js';
import { fsGet, fsHead } from './fs-read.js';
import { fsGetStream, fsPutStream } from './fs-stream.js';
import { fsDelete, fsPut, fsRemoveEmptyFolder } from './fs-write.js';
import { checkPrefix, FS_TEMP_PREFIX } from './keys.js';
import type { BucketDriver, ListOptions, ObjectEntry } from './types.js';

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
  checkPageSize(opts.pageSize);
  const ctx: FsContext = {
    root: resolve(opts.root),
    ops: fsOps(opts.io),
    create: opts.create,
    fsync: opts.fsync,
    closed: false,
    safeDirs: new Map(),
    writableDirs: new Map(),
    tempStem: `${FS_TEMP_PREFIX}${randomBytes(6).toString('hex')}-`,
    tempCounter: 0,
  };

  async function* list(prefix = '', listOptions: ListOptions = {}): AsyncGenerator<ObjectEntry[]> {
    ensureOpen(ctx);
    checkPrefix(prefix, ctx.root);
    const pageSize = listOptions.pageSize ?? opts.pageSize;
    checkPageSize(pageSize);
    const real = await realRoot(ctx);
    for await (const page of walkFolder(real, prefix, pageSize, listOptions.signal)) {
      ensureOpen(ctx);
      yield page;
    }
  }

  return {
    kind: 'fs',
    fsOptions: { root: ctx.root, create: opts.create, pageSize: opts.pageSize, fsync: opts.fsync },
    list,
    get: (key) => fsGet(ctx, key),
    put: (key, body) => fsPut(ctx, key, body),
    getStream: (key, range) => fsGetStream(ctx, key, range),
    putStream: (key, body) => fsPutStream(ctx, key, body),
    head: (key) => fsHead(ctx, key),
    delete: (key) => fsDelete(ctx, key),
    removeEmptyFolder: (prefix, options) => fsRemoveEmptyFolder(ctx, prefix, options),
    describe: () => ctx.root,
    close: async () => {
      ctx.closed = true;
    },
  };
}

function checkPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new StorageError('STORAGE_CONFIG', `pageSize must be a positive integer, got ${pageSize}`);
  }
}
