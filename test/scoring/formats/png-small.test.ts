/**
 * The small-PNG decoder (scoring/formats/png-small): the same pixels as libvips for every color type and row
 * filter, and null (libvips decides) for whatever it does not read or finds wrong.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeSmallPng } from '../../../src/scoring/formats/png-small.js';

const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (bytes: Uint8Array) => {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG written by hand: row y uses filter `filters[y % filters.length]`; the data split into `idats` chunks. */
function png(
  pixels: Uint8Array,
  width: number,
  height: number,
  colorType: number,
  channels: number,
  options: { filters?: number[]; idats?: number; extra?: Buffer[]; interlace?: number } = {},
): Buffer {
  const filters = options.filters ?? [0, 1, 2, 3, 4];
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const f = filters[y % filters.length];
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x += 1) {
      const at = (dx: number, dy: number) => {
        const xx = x - dx * channels;
        const yy = y - dy;
        return xx >= 0 && yy >= 0 ? pixels[yy * stride + xx] : 0;
      };
      const a = at(1, 0);
      const b = at(0, 1);
      const c = at(1, 1);
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][f] ?? 0;
      raw[y * (stride + 1) + 1 + x] = (pixels[y * stride + x] - predictor) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, colorType, 0, 0, options.interlace ?? 0], 8);
  const z = deflateSync(raw);
  const parts = options.idats ?? 1;
  const size = Math.ceil(z.length / parts);
  const idats = Array.from({ length: parts }, (_, i) => chunk('IDAT', z.subarray(i * size, (i + 1) * size)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(options.extra ?? []),
    ...idats,
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** `n` pseudo-random bytes (xorshift32). */
function noise(n: number, seed: number): Uint8Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  });
}

describe('small PNG decoder', () => {
  it("reads gray, gray+alpha, RGB and RGBA with every row filter: the pixels written, and libvips' bytes", async () => {
    for (const [colorType, channels] of [
      [0, 1],
      [4, 2],
      [2, 3],
      [6, 4],
    ]) {
      for (const filters of [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]]) {
        // noise, and few levels: Paeth's ties (which neighbour wins) happen often only with the second
        const n = 23 * 17 * channels;
        for (const pixels of [
          noise(n, colorType * 7 + filters.length),
          noise(n, filters.length).map((b) => (b % 4) * 60),
        ]) {
          const file = png(pixels, 23, 17, colorType, channels, { filters, idats: 3 });
          const ours = decodeSmallPng(file);
          const what = `color type ${colorType}, filters ${filters}`;
          expect({ w: ours?.width, h: ours?.height, c: ours?.channels }, what).toEqual({
            w: 23,
            h: 17,
            c: channels,
          });
          if (channels >= 3) {
            // libvips gives gray as RGB; with color, its very bytes
            const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
            expect(Buffer.from(ours?.data ?? []).equals(data), what).toBe(true);
          }
          expect(Buffer.from(ours?.data ?? []).equals(Buffer.from(pixels)), what).toBe(true);
        }
      }
    }
  });

  it('reads what sharp (libpng) writes, with its own filter choices', async () => {
    const pixels = noise(28 * 28, 3);
    const file = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    const decoded = decodeSmallPng(file); // libpng writes one gray channel as RGB
    expect(decoded?.channels).toBe(3);
    expect(Array.from({ length: 784 }, (_, i) => decoded?.data[i * 3])).toEqual([...pixels]);
  });

  it('leaves to libvips a bad CRC, a truncated file, an unknown filter, interlacing, a palette or transparency', () => {
    const pixels = noise(8 * 8 * 3, 1);
    const good = png(pixels, 8, 8, 2, 3);
    expect(decodeSmallPng(good)).not.toBeNull();
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 20] ^= 1; // inside the IDAT data
    expect(decodeSmallPng(badCrc)).toBeNull();
    expect(decodeSmallPng(good.subarray(0, good.length - 12))).toBeNull(); // no IEND
    expect(decodeSmallPng(good.subarray(0, good.length - 30))).toBeNull();
    expect(decodeSmallPng(png(pixels, 8, 8, 2, 3, { filters: [5] }))).toBeNull();
    expect(decodeSmallPng(png(pixels, 8, 8, 2, 3, { interlace: 1 }))).toBeNull();
    const trns = chunk('tRNS', Uint8Array.of(0, 1, 0, 2, 0, 3));
    expect(decodeSmallPng(png(pixels, 8, 8, 2, 3, { extra: [trns] }))).toBeNull();
    const gamma = chunk('gAMA', Uint8Array.of(0, 0, 0xb1, 0x8f)); // ignored, as libvips and Pillow do
    expect(decodeSmallPng(png(pixels, 8, 8, 2, 3, { extra: [gamma] }))).not.toBeNull();
  });
});
