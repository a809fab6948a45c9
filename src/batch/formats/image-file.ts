import type { Tensor, TensorSpec } from '../../engine/types.js';
import {
  type ImageLayout,
  type ImageOptions,
  imageLayout,
  imageRecord,
} from '../../scoring/formats/image.js';
import { decodeImage } from '../../scoring/formats/image-decode.js';
import { formatPrediction } from '../../scoring/index.js';
import { InputError } from '../../util/errors.js';
import type { Stage } from '../types.js';
import type { StreamContext, StreamResult } from './stream-file.js';

/** The output key of an image (or any input whose output is the seed's JSON under another name): `<key>.json`. */
export const jsonOutputKey = (key: string) => `${key}.json`;

const layouts = new WeakMap<TensorSpec, ImageLayout>();

/** The image layout of a model's only input (worked out once per model). */
function layoutOf(specs: TensorSpec[]): ImageLayout {
  if (specs.length !== 1) {
    throw new InputError(
      'INPUT_NOT_AN_IMAGE_MODEL',
      `the model has ${specs.length} inputs (${specs.map((s) => s.name).join(', ')}): an image feeds a model with one image input`,
    );
  }
  let layout = layouts.get(specs[0]);
  if (!layout) {
    layout = imageLayout(specs[0]);
    layouts.set(specs[0], layout);
  }
  return layout;
}

/**
 * Scores one image file: decoded (sharp/libvips), converted to the model's channels, resized and scaled
 * (`options`), scored as one record batched with every other input's, written as the seed's JSON keyed by the
 * image's key under `<key>.json`. A file that cannot be decoded or is too small fails alone.
 */
export async function scoreImageFile(
  ctx: StreamContext,
  options: ImageOptions,
  key: string,
  at: { stage: Stage },
): Promise<StreamResult> {
  at.stage = 'parse';
  const layout = layoutOf(ctx.specs);
  at.stage = 'read';
  let version: string;
  let tensor: Tensor;
  if (ctx.readImage) {
    const read = await ctx.readImage({ key, etag: '' }, options);
    if (!read.ok) {
      at.stage = read.stage;
      throw read.error;
    }
    version = read.version;
    at.stage = 'parse';
    tensor =
      read.tensor ??
      imageRecord(await decodeImage(read.bytes ?? new Uint8Array(), key), layout, options, key);
  } else {
    const object = await ctx.source.get(key);
    version = object.etag;
    at.stage = 'parse';
    tensor = imageRecord(await decodeImage(object.body, key), layout, options, key);
  }
  at.stage = 'score';
  const outputs = await ctx.waitScored(
    ctx.submit({ count: 1, hadBatchAxis: false, tensors: [tensor], recyclable: true }),
  );
  at.stage = 'format';
  const nonFinite = ctx.checkOutputs(outputs, 1);
  const text = formatPrediction(key, outputs, 0, 1);
  at.stage = 'write';
  const outputKey = jsonOutputKey(key);
  if (ctx.writeWhole) await ctx.writeWhole(outputKey, text);
  else await ctx.target.put(outputKey, text, { contentType: 'application/json' });
  return { version, outputKey, records: 1, failed: [], nonFinite };
}
