import { describe, expect, it } from 'vitest';
import { partBody, planParts } from '../../src/queue/shard-parts.js';
import type { ShardEntry } from '../../src/queue/types.js';

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function read(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of body) out.push(c);
  return Buffer.concat(out);
}

/** A file of lines of random lengths (blank ones, CRLF ones, and maybe no final newline). */
function file(seed: number, lines: number): Buffer {
  let x = seed;
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) {
    const kind = rand(10);
    out.push(kind === 0 ? '' : `{"n":${i},"pad":"${'x'.repeat(rand(90))}"}${kind === 1 ? '\r' : ''}`);
  }
  return Buffer.from(out.join('\n') + (seed % 2 ? '\n' : ''));
}

describe('byte-range parts of a JSON Lines file', () => {
  it('splits only uncompressed JSON Lines and CSV larger than the threshold', () => {
    const entry = (key: string, size: number): ShardEntry => [key, 'e', size];
    expect(planParts(entry('a.jsonl', 100), 100, undefined, 0)).toBeNull();
    expect(planParts(entry('a.jsonl.gz', 1000), 100, undefined, 0)).toBeNull();
    expect(planParts(entry('a.csv', 1000), 100, undefined, 0)).toHaveLength(10);
    expect(planParts(entry('a.csv.gz', 1000), 100, undefined, 0)).toBeNull();
    expect(planParts(entry('a.npy', 1000), 100, undefined, 0)).toBeNull();
    expect(planParts(entry('a.json', 1000), 100, undefined, 0)).toBeNull();
    const parts = planParts(entry('a.ndjson', 250), 100, undefined, 7);
    expect(parts).toEqual([
      { file: 7, index: 0, count: 3, start: 0, end: 100 },
      { file: 7, index: 1, count: 3, start: 100, end: 200 },
      { file: 7, index: 2, count: 3, start: 200, end: 250 },
    ]);
    expect(planParts(entry('data.txt', 250), 100, 'jsonl', 0)).toHaveLength(3);
  });

  for (const seed of [1, 2, 3, 4]) {
    for (const split of [1, 7, 64, 500]) {
      it(`file ${seed}, parts of ${split} bytes: every line once, in order, numbered as in the whole file`, async () => {
        const bytes = file(seed, 60);
        const parts = planParts(['f.jsonl', 'e', bytes.length], split, undefined, 0) ?? [
          { file: 0, index: 0, count: 1, start: 0, end: bytes.length },
        ];
        const bodies: Buffer[] = [];
        let offset = 0;
        for (const part of parts) {
          const got = await read(partBody(chunks(bytes, 1 + ((seed * 13) % 29)), part));
          let pad = 0;
          const before = bytes.subarray(0, offset).filter((b) => b === 0x0a).length;
          const rest = got.subarray(0);
          if (got.length > 0 && offset > 0) {
            while (pad < before && got[pad] === 0x0a) pad += 1;
            expect(pad, `part ${part.index}: its lines numbered after the ${before} before it`).toBe(before);
          }
          const own = rest.subarray(pad);
          // A part starts at a line start and ends after a newline (or at the end of the file).
          if (own.length > 0) {
            expect(offset === 0 || bytes[offset - 1] === 0x0a).toBe(true);
            expect(offset + own.length === bytes.length || own[own.length - 1] === 0x0a).toBe(true);
          }
          bodies.push(own);
          offset += own.length;
        }
        expect(Buffer.concat(bodies).equals(bytes)).toBe(true);
      });
    }
  }
});
