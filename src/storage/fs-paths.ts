import { dirname, join } from 'node:path';
import { StorageError } from './errors.js';
import { errnoCode, fsError } from './fs-errors.js';
import { isInside } from './fs-list.js';
import type { FsOps } from './fs-ops.js';
import { checkKey, FS_TEMP_PREFIX } from './keys.js';

/** What one fs driver's operations share: its folder, its file-system calls and what it has learnt so far. */
export interface FsContext {
  /** The folder as configured (absolute, not resolved through links). */
  readonly root: string;
  readonly ops: FsOps;
  readonly create: boolean;
  readonly fsync: boolean;
  /** The real path of the root once it was checked. */
  realRoot?: string;
  closed: boolean;
  /**
   * Folders already proven to resolve inside the root (their real path). Checking a folder once per driver
   * instead of resolving every key keeps a 10,000-file job from spending its time in realpath(3).
   */
  readonly safeDirs: Map<string, string>;
  /** Folders this driver created or checked for puts, by lexical path → real path. */
  readonly writableDirs: Map<string, string>;
  /** The name prefix of this driver's temporary files (unique per driver). */
  readonly tempStem: string;
  tempCounter: number;
}

export function ensureOpen(ctx: FsContext): void {
  if (ctx.closed) throw new StorageError('STORAGE_CLOSED', `the fs driver for ${ctx.root} is closed`);
}

/** The real path of the root; a missing root is `STORAGE_NOT_FOUND` unless `create` makes it. */
export async function realRoot(ctx: FsContext, key?: string): Promise<string> {
  if (ctx.realRoot) return ctx.realRoot;
  const { ops, root } = ctx;
  try {
    if (ctx.create) await ops.mkdir(root);
    const real = await ops.realpath(root);
    if (!(await ops.stat(real)).isDirectory()) {
      throw new StorageError('STORAGE_NOT_FOUND', `${root} is not a folder`, { key });
    }
    ctx.realRoot = real;
    return real;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new StorageError('STORAGE_NOT_FOUND', `folder ${root} does not exist`, { cause: error, key });
    }
    throw fsError(error, `open folder ${root}`, key);
  }
}

export const escapes = (ctx: FsContext, key: string) =>
  new StorageError(
    'STORAGE_INVALID_KEY',
    `key ${JSON.stringify(key)} resolves outside ${ctx.root} through a symbolic link`,
    { key },
  );

/** The absolute path of a key after checking it cannot leave the root lexically. */
export function pathOf(ctx: FsContext, real: string, key: string, action: string): string {
  checkKey(key, ctx.root);
  if (key.split('/').some((s) => s.startsWith(FS_TEMP_PREFIX))) {
    throw new StorageError(
      'STORAGE_INVALID_KEY',
      `key ${JSON.stringify(key)} uses the reserved name prefix ${FS_TEMP_PREFIX} (${action})`,
      { key },
    );
  }
  return join(real, ...key.split('/'));
}

/** The real path of an existing key, refused if a symbolic link takes it outside the root. */
export async function realPathOf(ctx: FsContext, key: string, action: string): Promise<string> {
  checkKey(key, ctx.root);
  const real = await realRoot(ctx, key);
  const path = pathOf(ctx, real, key, action);
  let target: string;
  try {
    target = await ctx.ops.realpath(path);
  } catch (error) {
    throw fsError(error, `${action} ${JSON.stringify(key)} in ${ctx.root}`, key);
  }
  if (!isInside(real, target) || target === real) throw escapes(ctx, key);
  return target;
}

/** Checks that the deepest existing ancestor of `dir` is inside the root (no escaping link on the way). */
export async function checkAncestors(ctx: FsContext, real: string, dir: string, key: string): Promise<void> {
  let probe = dir;
  for (;;) {
    try {
      const target = await ctx.ops.realpath(probe);
      if (!isInside(real, target)) throw escapes(ctx, key);
      return;
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const parent = dirname(probe);
      if (errnoCode(error) !== 'ENOENT' || parent === probe)
        throw fsError(error, `put ${JSON.stringify(key)}`, key);
      probe = parent;
    }
  }
}

/** The real path of a folder known (or now proven) to resolve inside the root. */
export async function safeDir(ctx: FsContext, real: string, dir: string, key: string): Promise<string> {
  const known = ctx.safeDirs.get(dir);
  if (known) return known;
  const target = await ctx.ops.realpath(dir);
  if (!isInside(real, target)) throw escapes(ctx, key);
  ctx.safeDirs.set(dir, target);
  return target;
}
