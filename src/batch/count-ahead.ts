import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { BucketDriver, ObjectEntry } from '../storage/index.js';
import type { Classification } from './input-filter.js';
import { JOB_PREFIX } from './ledger.js';

/**
 * Counts a source's inputs ahead of the scoring (a second listing, not held back by the scoring's pace), so a
 * job knows its total, and so a percentage and an ETA, within the listing's time instead of at its end. Counts
 * what the job's own listing counts (every entry but our bookkeeping). Null when aborted or when the listing
 * failed (the job's own listing reports that). A local folder is counted fast: names only, no stat per file.
 */
export async function countInputs(
  source: BucketDriver,
  classify: (entry: ObjectEntry) => Classification,
  signal: AbortSignal,
): Promise<number | null> {
  let n = 0;
  try {
    if (source.fsOptions?.root) return await countFolder(source.fsOptions.root, signal);
    for await (const page of source.list(undefined, { signal })) {
      if (signal.aborted) return null;
      for (const entry of page) if (classify(entry).kind !== 'ignore') n += 1;
    }
    return signal.aborted ? null : n;
  } catch {
    return null;
  }
}

/** Files under a folder (a recursive read of names), our bookkeeping and temporary files left out. */
async function countFolder(root: string, signal: AbortSignal): Promise<number | null> {
  const entries: Dirent[] = await readdir(root, { recursive: true, withFileTypes: true });
  if (signal.aborted) return null;
  let n = 0;
  for (const d of entries) {
    if (!(d.isFile() || d.isSymbolicLink()) || d.name.startsWith('.kb-tmp-')) continue;
    const parent = (d as Dirent & { parentPath?: string }).parentPath ?? d.path;
    const key = relative(root, join(parent, d.name)).split(sep).join('/');
    if (!key.startsWith(JOB_PREFIX)) n += 1;
  }
  return n;
}
