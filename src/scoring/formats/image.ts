import type { TensorSpec } from '../../engine/types.js';
import { InputError } from '../../util/errors.js';
import { takeFloats } from '../../util/float-buffers.js';
import type { DecodedImage } from './image-decode.js';

/** How an image is brought to the model's height × width (Keras' names: `docs/input-formats.md`). */
export type ResizeMode = 'stretch' | 'crop' | 'pad';
/** How pixel values 0–255 are scaled (`caffe` and `torch`: `keras.applications` `preprocess_input`). */
export type ScaleMode = 'raw' | 'unit' | 'symmetric' | 'caffe' | 'torch';

export const RESIZE_MODES: readonly ResizeMode[] = ['stretch', 'crop', 'pad'];
export const SCALE_MODES: readonly ScaleMode[] = ['raw', 'unit', 'symmetric', 'caffe', 'torch'];

/** What a model input takes as an image: its size (null: the image's own), channels and their axis. */
export interface ImageLayout {
  height: number | null;
  width: number | null;
  channels: 1 | 3 | 4;
  /** `[C, H, W]` records rather than `[H, W, C]`. */
  channelsFirst: boolean;
  /** `[H, W]` records: gray, no channel axis. */
  noChannelAxis: boolean;
}

const isChannels = (d: number | null): d is 1 | 3 | 4 => d === 1 || d === 3 || d === 4;

/** The image layout of a model input, or an error saying why it does not take images. */
export function imageLayout(spec: TensorSpec): ImageLayout {
  const [, a, b, c] = spec.shape;
  if (spec.shape.length === 3 && spec.dtype !== 'string') {
    return { height: a, width: b, channels: 1, channelsFirst: false, noChannelAxis: true };
  }
  if (spec.shape.length === 4 && spec.dtype !== 'string') {
    if (isChannels(c))
      return { height: a, width: b, channels: c, channelsFirst: false, noChannelAxis: false };
    if (isChannels(a)) return { height: b, width: c, channels: a, channelsFirst: true, noChannelAxis: false };
  }
  const shape = spec.shape.map((d) => (d === null ? 'None' : d)).join(', ');
  throw new InputError(
    'INPUT_NOT_AN_IMAGE_MODEL',
    `the model input ${spec.name} has shape (${shape}): images are scored by a model taking (None, H, W, C), (None, C, H, W) or (None, H, W) with 1, 3 or 4 channels`,
  );
}

/** Pillow's `convert`: gray is ITU-R 601-2 luma rounded as Pillow rounds it, RGB drops alpha, RGBA adds 255. */
export function toChannels(image: DecodedImage, channels: 1 | 3 | 4): Uint8Array {
  const { data, width, height, channels: from } = image;
  if (from === channels) return data;
  const n = width * height;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i += 1) {
    const s = i * from;
    const gray = from < 3;
    const r = data[s];
    const g = gray ? r : data[s + 1];
    const b = gray ? r : data[s + 2];
    if (channels === 1) out[i] = gray ? r : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    else {
      const o = i * channels;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = from === 4 ? data[s + 3] : from === 2 ? data[s + 1] : 255;
    }
  }
  return out;
}

/** A region of an HWC image: the crop of `smart_resize` or the padding of `pad_to_aspect_ratio`. */
interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Keras `smart_resize`'s centered crop to the target's aspect ratio (Python float arithmetic, truncated). */
function cropBox(h: number, w: number, th: number, tw: number): Box {
  const height = Math.max(Math.min(h, Math.trunc((w * th) / tw)), 1);
  const width = Math.max(Math.min(w, Math.trunc((h * tw) / th)), 1);
  return { top: Math.trunc((h - height) / 2), left: Math.trunc((w - width) / 2), height, width };
}

/** Keras `pad_to_aspect_ratio`: zeros above and below (or left and right), the same on each side (float32). */
function padSize(h: number, w: number, th: number, tw: number): { top: number; left: number } {
  const ph = Math.max(h, Math.trunc(Math.fround(Math.fround(w * th) / tw)));
  const pw = Math.max(w, Math.trunc(Math.fround(Math.fround(h * tw) / th)));
  return { top: Math.trunc((ph - h) / 2), left: Math.trunc((pw - w) / 2) };
}

/**
 * `tf.image.resize(..., "bilinear", antialias=False)` (TF's ResizeBilinear with half-pixel centers) of the
 * `box` of an HWC image of `c` channels, to `th × tw`, as float32.
 */
function resizeBilinear(
  src: Float32Array | Uint8Array,
  srcWidth: number,
  c: number,
  box: Box,
  th: number,
  tw: number,
): Float32Array {
  const out = new Float32Array(th * tw * c);
  const axis = (inSize: number, outSize: number) => {
    const scale = inSize / outSize;
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const lerp = new Float32Array(outSize);
    for (let i = 0; i < outSize; i += 1) {
      const at = (i + 0.5) * scale - 0.5;
      const f = Math.floor(at);
      lo[i] = Math.max(f, 0);
      hi[i] = Math.min(Math.ceil(at), inSize - 1);
      lerp[i] = at - f;
    }
    return { lo, hi, lerp };
  };
  const ys = axis(box.height, th);
  const xs = axis(box.width, tw);
  let o = 0;
  for (let y = 0; y < th; y += 1) {
    const top = ((box.top + ys.lo[y]) * srcWidth + box.left) * c;
    const bottom = ((box.top + ys.hi[y]) * srcWidth + box.left) * c;
    const dy = ys.lerp[y];
    for (let x = 0; x < tw; x += 1) {
      const l = xs.lo[x] * c;
      const r = xs.hi[x] * c;
      const dx = xs.lerp[x];
      for (let k = 0; k < c; k += 1) {
        const tl = src[top + l + k];
        const t = tl + (src[top + r + k] - tl) * dx;
        const bl = src[bottom + l + k];
        const b = bl + (src[bottom + r + k] - bl) * dx;
        out[o] = t + (b - t) * dy;
        o += 1;
      }
    }
  }
  return out;
}

/** Resizes an HWC image of `c` channels to `th × tw` the way `mode` says (values unchanged: 0–255). */
export function resizeImage(
  data: Uint8Array,
  h: number,
  w: number,
  c: number,
  th: number,
  tw: number,
  mode: ResizeMode,
): Float32Array {
  if (h === th && w === tw) return Float32Array.from(data); // every mode leaves it as it is
  if (mode === 'crop') return resizeBilinear(data, w, c, cropBox(h, w, th, tw), th, tw);
  if (mode === 'stretch') return resizeBilinear(data, w, c, { top: 0, left: 0, height: h, width: w }, th, tw);
  const { top, left } = padSize(h, w, th, tw);
  const ph = h + 2 * top;
  const pw = w + 2 * left;
  const padded = new Float32Array(ph * pw * c);
  for (let y = 0; y < h; y += 1) {
    padded.set(data.subarray(y * w * c, (y + 1) * w * c), ((y + top) * pw + left) * c);
  }
  return resizeBilinear(padded, pw, c, { top: 0, left: 0, height: ph, width: pw }, th, tw);
}

const CAFFE_MEAN = [103.939, 116.779, 123.68]; // B, G, R
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Scales HWC pixel values in place: `unit` /255, `symmetric` /127.5 − 1, `caffe` RGB→BGR minus the ImageNet
 * means, `torch` /255 minus mean over std per channel (the last two need 3 channels).
 */
export function scalePixels(data: Float32Array, c: number, mode: ScaleMode): void {
  if (mode === 'raw') return;
  if (mode === 'unit') for (let i = 0; i < data.length; i += 1) data[i] /= 255;
  else if (mode === 'symmetric') for (let i = 0; i < data.length; i += 1) data[i] = data[i] / 127.5 - 1;
  else if (c !== 3) {
    throw new InputError(
      'INPUT_SCALE_CHANNELS',
      `--scale ${mode} needs a model taking 3 channels (RGB), not ${c}`,
    );
  } else if (mode === 'caffe') {
    for (let i = 0; i < data.length; i += 3) {
      const r = data[i];
      data[i] = data[i + 2] - CAFFE_MEAN[0];
      data[i + 1] -= CAFFE_MEAN[1];
      data[i + 2] = r - CAFFE_MEAN[2];
    }
  } else {
    for (let i = 0; i < data.length; i += 1) {
      const k = i % 3;
      data[i] = (data[i] / 255 - TORCH_MEAN[k]) / TORCH_STD[k];
    }
  }
}

/** Per output channel: the input channel it takes and its 256 scaled values (`caffe` swaps R and B). */
interface PixelTable {
  source: number[];
  values: Float32Array;
}

const pixelTables = new Map<string, PixelTable>();

/** The table of `mode` for `c` channels: each value as {@link scalePixels} computes it, rounded to float32. */
function pixelTable(c: number, mode: ScaleMode): PixelTable {
  const key = `${c}:${mode}`;
  let table = pixelTables.get(key);
  if (!table) {
    const scaled = new Float32Array(256 * c);
    for (let v = 0; v < 256; v += 1) {
      const pixel = new Float32Array(c);
      for (let k = 0; k < c; k += 1) pixel[k] = v;
      scalePixels(pixel, c, mode);
      for (let k = 0; k < c; k += 1) scaled[k * 256 + v] = pixel[k];
    }
    // `caffe` writes channel 0 from input channel 2 and back: its table is by output channel.
    const source = Array.from({ length: c }, (_, k) => (mode === 'caffe' ? c - 1 - k : k));
    table = { source, values: scaled };
    pixelTables.set(key, table);
  }
  return table;
}

/**
 * An image at the model's size, scaled by table lookup in one pass (HWC, or CHW with `channelsFirst`): the same
 * numbers as converting, {@link scalePixels} and {@link channelsFirst}, without the intermediate arrays.
 */
export function scaledPixels(
  pixels: Uint8Array,
  plane: number,
  c: number,
  mode: ScaleMode,
  channelsFirst: boolean,
): Float32Array {
  const { source, values } = pixelTable(c, mode);
  const out = takeFloats(plane * c);
  if (c === 1) {
    for (let p = 0; p < plane; p += 1) out[p] = values[pixels[p]];
  } else if (c === 3) {
    // Unrolled: several times faster than the general loop below on 224 × 224 RGB.
    const [r, g, b] = source;
    if (channelsFirst) {
      for (let p = 0, i = 0; p < plane; p += 1, i += 3) {
        out[p] = values[pixels[i + r]];
        out[plane + p] = values[256 + pixels[i + g]];
        out[2 * plane + p] = values[512 + pixels[i + b]];
      }
    } else {
      for (let i = 0; i < 3 * plane; i += 3) {
        out[i] = values[pixels[i + r]];
        out[i + 1] = values[256 + pixels[i + g]];
        out[i + 2] = values[512 + pixels[i + b]];
      }
    }
  } else {
    for (let k = 0; k < c; k += 1) {
      const base = k * 256;
      const from = source[k];
      const [o, step] = channelsFirst ? [k * plane, 1] : [k, c];
      for (let p = 0; p < plane; p += 1) out[o + p * step] = values[base + pixels[p * c + from]];
    }
  }
  return out;
}

/** HWC to CHW. */
export function channelsFirst(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let p = 0; p < plane; p += 1) for (let k = 0; k < c; k += 1) out[k * plane + p] = data[p * c + k];
  return out;
}

/** Options of image inputs. */
export interface ImageOptions {
  resize?: ResizeMode;
  scale?: ScaleMode;
}

/**
 * One decoded image as one record of the model input `layout` describes: channels converted as Pillow does,
 * resized, scaled, laid out (`dims` with the batch axis of one). An image under 2 pixels on a side is refused.
 */
export function imageRecord(
  image: DecodedImage,
  layout: ImageLayout,
  options: ImageOptions,
  name: string,
): { data: Float32Array; dims: number[] } {
  if (image.width < 2 || image.height < 2) {
    throw new InputError(
      'INPUT_IMAGE_TOO_SMALL',
      `${name} is ${image.width}×${image.height} pixels: an image under 2 pixels on a side is refused (a placeholder or tracking pixel, not a picture to resize)`,
    );
  }
  const c = layout.channels;
  const th = layout.height ?? image.height;
  const tw = layout.width ?? image.width;
  const pixels = toChannels(image, c);
  const scale = options.scale ?? 'raw';
  let data: Float32Array;
  if (image.height === th && image.width === tw)
    data = scaledPixels(pixels, th * tw, c, scale, layout.channelsFirst);
  else {
    data = resizeImage(pixels, image.height, image.width, c, th, tw, options.resize ?? 'stretch');
    scalePixels(data, c, scale);
    if (layout.channelsFirst) data = channelsFirst(data, th, tw, c);
  }
  const dims = layout.noChannelAxis ? [1, th, tw] : layout.channelsFirst ? [1, c, th, tw] : [1, th, tw, c];
  return { data, dims };
}
