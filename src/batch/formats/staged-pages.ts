import { isStorageError } from '../../storage/index.js';
import type { Stage } from '../types.js';

/**
 * The pages of one input file's items, at most `limit` items in all (a dry run), keeping `at.stage` true for a
 * failure: `read` while the store is read, `parse` once a page is decoded (a decoding error thrown by the
 * source is `parse` too). The source is closed early once the limit is reached.
 */
export async function* stagedPages<T>(
  source: AsyncIterable<T[]>,
  at: { stage: Stage },
  limit: number | undefined,
): AsyncGenerator<T[]> {
  const pages = source[Symbol.asyncIterator]();
  let seen = 0;
  for (;;) {
    at.stage = 'read';
    let step: IteratorResult<T[]>;
    try {
      step = await pages.next();
    } catch (error) {
      at.stage = isStorageError(error) ? 'read' : 'parse';
      throw error;
    }
    if (step.done) return;
    at.stage = 'parse';
    const page = limit === undefined ? step.value : step.value.slice(0, Math.max(0, limit - seen));
    seen += page.length;
    yield page;
    if (limit !== undefined && seen >= limit) {
      await pages.return?.(undefined);
      return;
    }
  }
}
