import { crc32, inflateSync } from 'node:zlib';

/** Decoded pixels, 8 bits a channel, row-major HWC (1 gray, 2 gray+alpha, 3 RGB or 4 RGBA channels). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** PNGs of at most this many pixels are decoded here: a libvips call costs ~20x the CPU for a 28×28 digit. */
const SMALL_PNG_PIXELS = 256 * 256;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels of each 8-bit PNG color type without a palette: gray, RGB, gray+alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
/** Chunks that change what the pixels mean (a palette, transparency, a color profile): libvips reads those. */
const MEANINGFUL = new Set(['PLTE', 'tRNS', 'iCCP']);

/**
 * A small plain PNG (8 bits, gray/RGB with or without alpha, not interlaced, no palette, tRNS or color profile)
 * decoded on this thread with the platform's zlib, or null: anything else, or anything found wrong, goes to
 * libvips, which says what. fast-png's JavaScript inflate took twice the CPU of this whole path, and made most
 * of the garbage of a folder of 28×28 PNGs.
 */
export function decodeSmallPng(bytes: Uint8Array): DecodedImage | null {
  if (bytes.length < 33 || PNG_MAGIC.some((b, i) => bytes[i] !== b)) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  if (width * height > SMALL_PNG_PIXELS || bytes[24] !== 8 || bytes[25] === 3) return null;
  const channels = CHANNELS[bytes[25]];
  // compression 0, filter method 0, no interlacing
  if (!channels || width === 0 || height === 0 || bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] !== 0)
    return null;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; at + 12 <= bytes.length && !ended; ) {
    const length = v.getUint32(at);
    const end = at + 12 + length;
    if (end > bytes.length) return null;
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== v.getUint32(at + 8 + length)) return null;
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    else if (MEANINGFUL.has(type)) return null;
    ended = type === 'IEND';
    at = end;
  }
  if (!ended || idat.length === 0) return null;
  const stride = width * channels;
  const size = (stride + 1) * height;
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: size + 1 });
  } catch {
    return null;
  }
  if (raw.length !== size) return null;
  const data = new Uint8Array(stride * height);
  return unfilter(raw, data, stride, height, channels) ? { width, height, channels, data } : null;
}

/** PNG's five row filters undone into `out` (false for an unknown filter type). */
function unfilter(raw: Uint8Array, out: Uint8Array, stride: number, height: number, bpp: number): boolean {
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride; // the row above (absent for the first row: zeros)
    for (let x = 0; x < stride; x += 1) {
      const a = x >= bpp ? out[row + x - bpp] : 0;
      const b = y > 0 ? out[up + x] : 0;
      let value = raw[src + x];
      if (filter === 1) value += a;
      else if (filter === 2) value += b;
      else if (filter === 3) value += (a + b) >> 1;
      else if (filter === 4) {
        const c = x >= bpp && y > 0 ? out[up + x - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        value += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) return false;
      out[row + x] = value;
    }
  }
  return true;
}
