/** Spare Float32 buffers (util/float-buffers): reused by size, bounded by count and bytes, the newest size kept. */
import { afterEach, describe, expect, it } from 'vitest';
import { dropSpareFloats, giveBackFloats, takeFloats } from '../../src/util/float-buffers.js';

afterEach(() => dropSpareFloats());

describe('spare float buffers', () => {
  it('gives a buffer handed back to the next take of its size, and a new one otherwise', () => {
    const a = takeFloats(1000);
    giveBackFloats(a.buffer);
    const b = takeFloats(1000);
    expect(b.buffer === a.buffer).toBe(true);
    expect(takeFloats(1000).buffer === a.buffer).toBe(false); // taken: not given twice
    giveBackFloats(b.buffer);
    expect(takeFloats(999).buffer === b.buffer).toBe(false);
  });

  it('ignores detached and shared buffers', () => {
    const a = new Float32Array(256);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    giveBackFloats(a.buffer);
    giveBackFloats(new SharedArrayBuffer(1024));
    expect(takeFloats(256).buffer.byteLength).toBe(1024);
    expect(takeFloats(256)).toHaveLength(256);
  });

  it('keeps at most 64 of a small size and 2 of a huge one, and pushes older sizes out past 96 MiB', () => {
    const small = Array.from({ length: 70 }, () => new Float32Array(16));
    for (const f of small) giveBackFloats(f.buffer);
    const taken = new Set(Array.from({ length: 70 }, () => takeFloats(16).buffer));
    expect(small.filter((f) => taken.has(f.buffer)).length).toBe(64);

    const huge = Array.from({ length: 3 }, () => new Float32Array(5 << 20)); // 20 MiB each
    for (const f of huge) giveBackFloats(f.buffer);
    expect(takeFloats(5 << 20).buffer === huge[1].buffer).toBe(true);
    expect(takeFloats(5 << 20).buffer === huge[0].buffer).toBe(true);
    expect(takeFloats(5 << 20).buffer === huge[2].buffer).toBe(false);

    const old = new Float32Array(4 << 20); // 16 MiB, given back first
    giveBackFloats(old.buffer);
    const recent = Array.from({ length: 2 }, () => new Float32Array(45 << 18)); // 2 x 45 MiB
    for (const f of recent) giveBackFloats(f.buffer);
    expect(takeFloats(4 << 20).buffer === old.buffer).toBe(false); // pushed out for the newer size
    expect(takeFloats(45 << 18).buffer === recent[1].buffer).toBe(true);
  });
});
