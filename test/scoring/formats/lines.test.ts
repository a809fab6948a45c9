import { describe, expect, it } from 'vitest';
import { blockLines, splitBlocks, splitLines } from '../../../src/scoring/formats/lines.js';

/** The text cut into chunks of the given sizes, in turn. */
async function* chunks(text: string, sizes: number[]): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  let at = 0;
  for (let i = 0; at < bytes.length; i += 1) {
    const n = sizes[i % sizes.length];
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function viaLines(text: string, sizes: number[]) {
  const out: [number, string][] = [];
  for await (const page of splitLines(chunks(text, sizes))) {
    for (const l of page) out.push([l.n, Buffer.from(l.bytes).toString()]);
  }
  return out;
}

async function viaBlocks(text: string, sizes: number[], minBytes: number) {
  const out: [number, string][] = [];
  let blocks = 0;
  for await (const block of splitBlocks(chunks(text, sizes), minBytes)) {
    blocks += 1;
    for (const l of blockLines(block.bytes, block.before)) out.push([l.n, Buffer.from(l.bytes).toString()]);
  }
  return { out, blocks };
}

describe('splitBlocks + blockLines', () => {
  const lines: string[] = [];
  for (let i = 0; i < 300; i += 1) {
    lines.push(
      i % 17 === 0
        ? ''
        : i % 23 === 0
          ? '   \r'
          : `{"values": [${i}, ${'7'.repeat(i % 40)}]}${i % 5 === 0 ? '\r' : ''}`,
    );
  }
  const text = `${lines.join('\n')}\n{"last": "no line break"}`;

  it('give the same lines with the same numbers as splitLines, however the stream is cut', async () => {
    const want = await viaLines(text, [4096]);
    expect(want.length).toBeGreaterThan(250);
    for (const sizes of [[1], [7, 3, 50], [333], [100000]]) {
      for (const minBytes of [1, 64, 1000, 1 << 20]) {
        const got = await viaBlocks(text, sizes, minBytes);
        expect(got.out).toEqual(want);
        if (minBytes === 1 && sizes[0] === 333) expect(got.blocks).toBeGreaterThan(10);
      }
    }
  });

  it('fail a line longer than the limit with its number', async () => {
    const long = `{"a": 1}\n\n${'x'.repeat(500)}\n`;
    const run = async () => {
      for await (const _ of splitBlocks(chunks(long, [10]), 64, 100));
    };
    await expect(run()).rejects.toThrow(/line 3 is longer than 100 bytes/);
  });
});
