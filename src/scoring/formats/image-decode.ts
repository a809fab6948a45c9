import sharp from 'sharp';
import { errorMessage, InputError } from '../../util/errors.js';
import { type DecodedImage, decodeSmallPng } from './png-small.js';

export type { DecodedImage } from './png-small.js';

/** Largest image decoded, in pixels (libvips' own default: 16383 × 16383). */
const MAX_PIXELS = 268_402_689;

sharp.cache(false); // every image is decoded once: libvips' operation cache would only hold memory

/**
 * Decodes an image file with sharp (libvips): PNG, JPEG, WebP, GIF (first frame), TIFF (first page), and BMP
 * (read here: libvips has no BMP reader); small plain PNGs by png-small.ts. No EXIF rotation (Keras' `load_img`
 * applies none). A truncated or corrupt file is an error naming `name` and the problem.
 */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<DecodedImage> {
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return decodeBmp(bytes, name);
  const small = decodeSmallPng(bytes);
  if (small) return small;
  try {
    const { data, info } = await sharp(bytes, { pages: 1, failOn: 'error', limitInputPixels: MAX_PIXELS })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data };
  } catch (error) {
    const message = errorMessage(error);
    const what = /unsupported image format/i.test(message)
      ? 'is not an image sharp reads (PNG, JPEG, WebP, GIF, TIFF, BMP)'
      : `cannot be decoded: ${message.replace(/\s+/g, ' ').trim()}`;
    throw new InputError('INPUT_IMAGE_INVALID', `${name} ${what}`);
  }
}

/**
 * A Windows bitmap: BITMAPINFOHEADER or later, uncompressed (1, 4, 8 bits with a palette, 24 or 32 bits) or
 * 32-bit bitfields; bottom-up or top-down. RLE and other compressions are refused.
 */
export function decodeBmp(bytes: Uint8Array, name: string): DecodedImage {
  const bad = (message: string) => new InputError('INPUT_IMAGE_INVALID', `${name}: BMP ${message}`);
  if (bytes.length < 54) throw bad('file is truncated (no complete header)');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40) throw bad(`with a ${headerSize}-byte OS/2 header is not read`);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const height = Math.abs(rawHeight);
  const bits = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  if (width <= 0 || height === 0 || width * height > MAX_PIXELS)
    throw bad(`size ${width}×${height} is not valid`);
  const fields = compression === 3 && bits === 32;
  if (!(compression === 0 || fields) || ![1, 4, 8, 24, 32].includes(bits)) {
    throw bad(
      `with ${bits} bits a pixel and compression ${compression} is not read (uncompressed 1/4/8/24/32-bit are)`,
    );
  }
  const stride = Math.ceil((width * bits) / 32) * 4;
  if (offset + stride * height > bytes.length) throw bad('file is truncated (its pixel rows end early)');
  const colors = v.getUint32(46, true) || (bits <= 8 ? 1 << bits : 0);
  const palette = 14 + headerSize;
  const masks = fields
    ? [
        v.getUint32(54, true),
        v.getUint32(58, true),
        v.getUint32(62, true),
        headerSize >= 56 ? v.getUint32(66, true) : 0,
      ]
    : [0xff0000, 0xff00, 0xff, 0];
  const alpha = fields && masks[3] !== 0;
  const channels = alpha ? 4 : 3;
  const data = new Uint8Array(width * height * channels);
  const shift = (m: number) => (m === 0 ? 0 : 31 - Math.clz32(m & -m));
  for (let y = 0; y < height; y += 1) {
    const row = offset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x += 1) {
      const o = (y * width + x) * channels;
      if (bits <= 8) {
        const bit = x * bits;
        const index = (bytes[row + (bit >> 3)] >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
        if (index >= colors) throw bad(`pixel (${x}, ${y}) uses color ${index} of a ${colors}-color palette`);
        const p = palette + index * 4;
        data[o] = bytes[p + 2];
        data[o + 1] = bytes[p + 1];
        data[o + 2] = bytes[p];
      } else if (bits === 24 || !fields) {
        const p = row + x * (bits / 8);
        data[o] = bytes[p + 2];
        data[o + 1] = bytes[p + 1];
        data[o + 2] = bytes[p];
      } else {
        const px = v.getUint32(row + x * 4, true);
        for (let k = 0; k < channels; k += 1) data[o + k] = ((px & masks[k]) >>> shift(masks[k])) & 0xff;
      }
    }
  }
  return { width, height, channels, data };
}
