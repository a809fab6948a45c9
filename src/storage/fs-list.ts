import type { BigIntStats } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { errnoCode, fsError } from './fs-errors.js';
import { compareKeys, FS_TEMP_PREFIX } from './keys.js';
import type { ObjectEntry } from './types.js';

/** How many files of one page are stat'ed at once. */
const STAT_CONCURRENCY = 16;

/** One child of a folder being walked: its name and whether it is a folder to descend into. */
interface Child {
  name: string;
  dir: boolean;
  /** For a symbolic link to a file: the stats of its target (or of the link, when it leaves the root). */
  stats?: BigIntStats;
}

/** A folder on the walk's stack, with its children in key order and a cursor. */
interface Frame {
  rel: string;
  children: Child[];
  next: number;
}

/** The version token of a file: its size and modification time in nanoseconds. */
export function fsEtag(stats: BigIntStats): string {
  return `${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}`;
}

/** An entry from a file's stats. */
export function fsEntry(key: string, stats: BigIntStats): ObjectEntry {
  return {
    key,
    size: Number(stats.size),
    etag: fsEtag(stats),
    lastModified: new Date(Number(stats.mtimeMs)),
  };
}

/** Whether `path` is `root` or lies inside it (both real, absolute paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Reads one folder's names incrementally (no stat per file, except for symbolic links) and sorts them
 * so that a depth-first walk yields keys in UTF-8 byte order: a folder sorts as its name plus '/'.
 */
async function readChildren(realRoot: string, absDir: string): Promise<Child[]> {
  const children: Child[] = [];
  const dir = await opendir(absDir, { bufferSize: 256 });
  for await (const dirent of dir) {
    const name = dirent.name;
    if (name.startsWith(FS_TEMP_PREFIX)) continue;
    if (dirent.isDirectory()) children.push({ name, dir: true });
    else if (dirent.isFile()) children.push({ name, dir: false });
    else if (dirent.isSymbolicLink()) {
      const child = await symlinkChild(realRoot, join(absDir, name), name);
      if (child) children.push(child);
    }
  }
  const sortKey = (c: Child) => (c.dir ? `${c.name}/` : c.name);
  children.sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
  return children;
}

/**
 * A symbolic link is listed as a file when it points to a file. Links to folders are not followed
 * (no cycles). A link that leaves the root or dangles is still listed, with the link's own stats, so the
 * caller sees it and its `get` fails with a clear error instead of the input silently vanishing.
 */
async function symlinkChild(realRoot: string, absPath: string, name: string): Promise<Child | undefined> {
  try {
    const target = await realpath(absPath);
    const stats = await stat(target, { bigint: true });
    if (stats.isDirectory()) return undefined;
    if (!stats.isFile() || !isInside(realRoot, target)) {
      return { name, dir: false, stats: await lstat(absPath, { bigint: true }) };
    }
    return { name, dir: false, stats };
  } catch {
    try {
      return { name, dir: false, stats: await lstat(absPath, { bigint: true }) };
    } catch {
      return undefined;
    }
  }
}

/** Stats a page of candidate files in parallel, dropping files that vanished since the folder was read. */
async function statPage(
  realRoot: string,
  candidates: { key: string; child: Child }[],
): Promise<ObjectEntry[]> {
  const out: (ObjectEntry | undefined)[] = new Array(candidates.length);
  let cursor = 0;
  const worker = async () => {
    while (cursor < candidates.length) {
      const i = cursor++;
      const { key, child } = candidates[i];
      if (child.stats) {
        out[i] = fsEntry(key, child.stats);
        continue;
      }
      try {
        const stats = await stat(join(realRoot, ...key.split('/')), { bigint: true });
        if (stats.isFile()) out[i] = fsEntry(key, stats);
      } catch {
        // Deleted or replaced between reading the folder and this stat: not part of the listing.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, candidates.length) }, worker));
  return out.filter((e): e is ObjectEntry => e !== undefined);
}

/**
 * Walks `realRoot` recursively in key order and yields pages of at most `pageSize` entries whose key
 * starts with `prefix`. Only the names of the folders on the current path are held, and only the files of
 * the page being built are stat'ed. Folders the prefix excludes are not opened.
 */
export async function* walkFolder(
  realRoot: string,
  prefix: string,
  pageSize: number,
  signal?: AbortSignal,
): AsyncGenerator<ObjectEntry[]> {
  // Start in the deepest folder the prefix names in full; it must be a real folder inside the root.
  const startRel = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const startAbs = startRel === '' ? realRoot : join(realRoot, ...startRel.slice(0, -1).split('/'));
  if (startRel !== '') {
    try {
      if ((await realpath(startAbs)) !== startAbs) return; // reached through a symbolic link: not walked
    } catch {
      return; // nothing under this prefix
    }
  }
  let children: Child[];
  try {
    children = await readChildren(realRoot, startAbs);
  } catch (error) {
    if (startRel !== '') return;
    throw fsError(error, `list ${realRoot}`);
  }
  const stack: Frame[] = [{ rel: startRel, children, next: 0 }];
  let candidates: { key: string; child: Child }[] = [];

  while (stack.length > 0) {
    signal?.throwIfAborted();
    const frame = stack[stack.length - 1];
    if (frame.next >= frame.children.length) {
      stack.pop();
      continue;
    }
    const child = frame.children[frame.next++];
    const key = frame.rel + child.name;
    if (child.dir) {
      const dirKey = `${key}/`;
      if (!(dirKey.startsWith(prefix) || prefix.startsWith(dirKey))) continue;
      try {
        const sub = await readChildren(realRoot, join(realRoot, ...key.split('/')));
        stack.push({ rel: dirKey, children: sub, next: 0 });
      } catch (error) {
        // Removed while walking: skipped like a file that vanished. Unreadable: the listing fails.
        const code = errnoCode(error);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(error, `list ${realRoot}`, key);
      }
      continue;
    }
    if (!key.startsWith(prefix)) continue;
    candidates.push({ key, child });
    if (candidates.length >= pageSize) {
      const page = await statPage(realRoot, candidates);
      candidates = [];
      if (page.length > 0) yield page;
    }
  }
  if (candidates.length > 0) {
    const page = await statPage(realRoot, candidates);
    if (page.length > 0) yield page;
  }
}
