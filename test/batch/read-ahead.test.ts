import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/batch/read-ahead.js';

describe('readAhead', () => {
  it('yields every item in order, fetching the next one while the caller works on the current one', async () => {
    const started: number[] = [];
    async function* pages() {
      for (let i = 0; i < 4; i += 1) {
        started.push(i);
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield i;
      }
    }
    const seen: [number, number[]][] = [];
    for await (const page of readAhead(pages())) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push([page, [...started]]);
    }
    expect(seen.map(([p]) => p)).toEqual([0, 1, 2, 3]);
    // While page 0 was being worked on, page 1 was already on its way.
    expect(seen[0][1]).toEqual([0, 1]);
  });

  it('closes the source when the caller stops early, and passes on its errors', async () => {
    let closed = false;
    async function* pages() {
      try {
        for (let i = 0; ; i += 1) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const page of readAhead(pages())) if (page === 2) break;
    expect(closed).toBe(true);

    async function* failing() {
      yield 1;
      throw new Error('listing failed: folder gone');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(failing())) got.push(page);
      })(),
    ).rejects.toThrow('folder gone');
    expect(got).toEqual([1]);
  });
});
