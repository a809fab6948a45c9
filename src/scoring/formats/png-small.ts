import { decode as decodePng } from 'fast-png';
/** Decoded pixels, 8 bits a channel, row-major HWC (1 gray, 2 gray+alpha, 3 RGB or 4 RGBA channels). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** PNGs of at most this many pixels are decoded in JavaScript (fast-png): ~7x less CPU than a libvips call. */
const SMALL_PNG_PIXELS = 256 * 256;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * A small plain PNG (8 bits, gray/RGB with or without alpha, no palette, tRNS or ICC profile) decoded by fast-png
 * on this thread, or null: anything else, or anything fast-png finds wrong, goes to libvips, which says what.
 */
export function decodeSmallPng(bytes: Uint8Array): DecodedImage | null {
  if (bytes.length < 33 || PNG_MAGIC.some((b, i) => bytes[i] !== b)) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(16) * v.getUint32(20) > SMALL_PNG_PIXELS || bytes[24] !== 8 || bytes[25] === 3) return null;
  try {
    const png = decodePng(bytes, { checkCrc: true });
    const { width, height, channels, data } = png;
    if (png.depth !== 8 || png.palette || png.transparency || png.iccEmbeddedProfile) return null;
    if (!(data instanceof Uint8Array) || data.length !== width * height * channels) return null;
    return { width, height, channels, data };
  } catch {
    return null;
  }
}
