import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../../src/scoring/formats/npy.js';
import { openNpyStream } from '../../../src/scoring/formats/npy-stream.js';

/** `bytes` in chunks of `size` bytes, counting how many were pulled and whether the reader stopped early. */
function chunked(bytes: Uint8Array, size: number) {
  const seen = { pulled: 0, returned: false };
  const body = {
    [Symbol.asyncIterator]() {
      let at = 0;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          if (at >= bytes.length) return { done: true, value: undefined };
          const chunk = bytes.slice(at, at + size);
          at += size;
          seen.pulled += chunk.length;
          return { done: false, value: chunk };
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          seen.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { body, seen };
}

/** A big-endian float64 `.npy` (the slow path), made from a float32 one by rewriting header and data. */
function bigEndian64(values: Float32Array, shape: number[]): Uint8Array {
  const base = Buffer.from(encodeNpy(values, shape));
  const headerEnd = 10 + base.readUInt16LE(8);
  const header = base.subarray(10, headerEnd).toString('latin1').replace("'<f4'", "'>f8'");
  const data = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i += 1) data.writeDoubleBE(values[i], i * 8);
  const head = Buffer.from(base.subarray(0, 10));
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

const values = Float32Array.from({ length: 7 * 6 }, (_, i) => ((i * 37) % 11) - 5.25);

describe('.npy read as a stream', () => {
  for (const [name, bytes] of [
    ['<f4', encodeNpy(values, [7, 6])],
    ['>f8', bigEndian64(values, [7, 6])],
  ] as const) {
    for (const size of [1, 7, 64, 1 << 16]) {
      it(`${name} in chunks of ${size} bytes: the same numbers as read whole, a batch of records at a time`, async () => {
        const { body } = chunked(bytes, size);
        const stream = await openNpyStream(body, 'x.npy');
        expect(stream.header.shape).toEqual([7, 6]);
        const parts: Float32Array[] = [];
        for await (const part of stream.parts(3 * 6)) parts.push(part);
        expect(parts.map((p) => p.length)).toEqual([18, 18, 6]);
        const whole = parseNpy(bytes, 'x.npy').data;
        expect(Float32Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(whole);
        expect(whole).toEqual(values);
      });
    }
  }

  it('stops reading at the limit (a dry run) and closes the stream', async () => {
    const big = Float32Array.from({ length: 1000 * 6 }, (_, i) => i);
    const bytes = encodeNpy(big, [1000, 6]);
    const { body, seen } = chunked(bytes, 4096);
    const stream = await openNpyStream(body, 'x.npy');
    const parts: Float32Array[] = [];
    for await (const part of stream.parts(4 * 6, 10 * 6)) parts.push(part);
    expect(parts.map((p) => p.length)).toEqual([24, 24, 12]);
    expect(parts[2][11]).toBe(59);
    expect(seen.returned).toBe(true);
    expect(seen.pulled).toBeLessThan(bytes.length / 4);
  });

  it('fails a truncated file naming it, with the bytes that followed its header', async () => {
    const bytes = encodeNpy(values, [7, 6]);
    const cut = bytes.subarray(0, bytes.length - 10);
    const { body } = chunked(cut, 5);
    const stream = await openNpyStream(body, 'short.npy');
    const read = async () => {
      for await (const _ of stream.parts(6)) {
      }
    };
    await expect(read()).rejects.toThrow(
      /short\.npy: its header declares shape \(7, 6\) of <f4: 168 bytes, but 158 follow \(truncated\)/,
    );
    await expect(openNpyStream(chunked(bytes.subarray(0, 40), 3).body, 'head.npy')).rejects.toThrow(
      /head\.npy: the file ends inside its header/,
    );
    await expect(openNpyStream(chunked(Buffer.from('not numpy at all'), 3).body, 't.npy')).rejects.toThrow(
      /t\.npy: not a \.npy file/,
    );
  });
});
