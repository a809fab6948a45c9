import type { BucketDriver, ObjectEntry } from '../storage/index.js';
import type { Classification } from './input-filter.js';

/**
 * Counts a source's inputs ahead of the scoring (a second listing, not held back by the scoring's pace), so a
 * job knows its total, and so a percentage and an ETA, within the listing's time instead of at its end. Counts
 * what the job's own listing counts (every entry but our bookkeeping). Null when aborted or when the listing
 * failed (the job's own listing reports that).
 */
export async function countInputs(
  source: BucketDriver,
  classify: (entry: ObjectEntry) => Classification,
  signal: AbortSignal,
): Promise<number | null> {
  let n = 0;
  try {
    for await (const page of source.list(undefined, { signal })) {
      if (signal.aborted) return null;
      for (const entry of page) if (classify(entry).kind !== 'ignore') n += 1;
    }
    return signal.aborted ? null : n;
  } catch {
    return null;
  }
}
