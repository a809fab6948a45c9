/**
 * Iterates `source` one item ahead: the next item (a listing page) is being fetched while the caller works on
 * the current one, so a job never stops starting files while it waits for the next page.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      yield result.value;
    }
  } finally {
    // Stopped early: let the fetch in progress settle (its error no longer matters), then close the source.
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}
