import type { HashedCrossingConfig } from '../../keras/layer-classes/preprocessing.js';
/**
 * Hashing and HashedCrossing on model inputs, run on the host (keras/src/layers/preprocessing/hashing.py and
 * hashed_crossing.py; tf_keras the same):
 * - Hashing: numbers become their int64 decimal strings (`tf.as_string`, Keras 3 truncating floats to int64
 *   first), then `to_hash_bucket_fast` (FarmHash Fingerprint64) or, with a `salt`, `to_hash_bucket_strong`
 *   (SipHash-2-4); with a `mask_value` (and `num_bins` > 1) the bins shift by one and the mask value is bin 0.
 *   Output `int`, `one_hot`, `multi_hot`, `count`.
 * - HashedCrossing: `tf.sparse.cross_hashed` of its inputs (one value per record each), `int` or `one_hot`.
 * A number that is not finite or out of int64 range (where TF's cast is undefined) makes its record NaN.
 */
import type { LayerSpec, ModelInput, Shape } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import { ConfigReader, unsupported } from '../layers/config.js';
import { type InputTensor, isStringTensor } from '../types.js';
import { bincountRow, type Encoding, encodedShape, encodeIndices, type Mode } from './encode.js';
import { type CrossFeature, crossHashed, fingerprint64, sipHash24, sipHashKey } from './hashes.js';
import type { HostLayer } from './host-layer.js';

export const HASH_LAYER_CLASSES = new Set(['Hashing', 'HashedCrossing']);

/** Bins are fed to the graph as float32: exact only up to 2^24. */
const MAX_BINS = 2 ** 24;
const INT64_LIMIT = 2 ** 63;

const isStringInput = (input: ModelInput): boolean => input.dtype === 'string' || input.dtype === 'str';

function numBins(layer: LayerSpec): number {
  const n = new ConfigReader<HashedCrossingConfig>(layer).number('num_bins');
  if (!Number.isInteger(n) || n < 1 || n > MAX_BINS)
    unsupported(layer, `num_bins ${n} (1 to 2^24 bins, exact as float32 inputs of the graph)`);
  return n;
}

function encoding(layer: LayerSpec, allowed: Mode[], depth: number): Encoding {
  const cfg = new ConfigReader<HashedCrossingConfig>(layer);
  const mode = cfg.string('output_mode', 'int') as Mode;
  if (!allowed.includes(mode)) unsupported(layer, `output_mode "${mode}"`);
  if (cfg.bool('sparse', false)) unsupported(layer, 'sparse=True (a sparse output)');
  return {
    mode,
    depth,
    encodeRow: (indices, out, offset) => bincountRow(mode, depth, indices, out, offset),
  };
}

/** The int64 a number becomes (truncated toward zero, as TF casts), or null outside int64. */
function asInt64(v: number): bigint | null {
  if (!Number.isFinite(v) || Math.abs(v) >= INT64_LIMIT) return null;
  return BigInt(Math.trunc(v));
}

function checkBatch(layer: LayerSpec, t: InputTensor, names: readonly string[], i: number): void {
  const values = isStringTensor(t) ? t.strings.length : t.data.length;
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (values !== size)
    throw new EngineError(
      'ENGINE_BAD_INPUT',
      `input ${names[i]} of layer ${layer.name}: ${values} values for dims [${t.dims}]`,
    );
}

type Salt = [bigint, bigint] | null;

/** A layer's `salt` (one integer or two) as SipHash's two key halves; null when it has none. */
export function saltOf(layer: LayerSpec): Salt {
  const v = layer.config.salt;
  if (v === undefined || v === null) return null;
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => Number.isSafeInteger(x)))
    unsupported(layer, `salt ${JSON.stringify(v)} (an integer or two, each below 2^53)`);
  return [BigInt(pair[0] as number), BigInt(pair[1] as number)];
}

/** Hashing called once on the model input `input`. */
export function hashingLayer(layer: LayerSpec, input: ModelInput): HostLayer {
  const bins = numBins(layer);
  const enc = encoding(layer, ['int', 'one_hot', 'multi_hot', 'count'], bins);
  const strings = isStringInput(input);
  const mask = layer.config.mask_value ?? null;
  if (mask !== null && typeof mask !== (strings ? 'string' : 'number'))
    unsupported(layer, `mask_value ${JSON.stringify(mask)} on a ${strings ? 'string' : 'numeric'} input`);
  const masked = mask !== null && bins > 1;
  const hashBins = BigInt(masked ? bins - 1 : bins);
  const salt = saltOf(layer);
  const key = salt ? sipHashKey(salt) : null;
  const hash = key ? (s: string) => sipHash24(key, s) : fingerprint64;
  const shift = masked ? 1 : 0;
  const binOf = (s: string): number => Number(hash(s) % hashBins) + shift;
  return {
    layer,
    inputs: [input.name],
    outputShape: ([shape]) => encodedShape(enc, shape, layer),
    run([t]) {
      checkBatch(layer, t, [input.name], 0);
      let bins: Float32Array;
      if (isStringTensor(t)) {
        bins = Float32Array.from(t.strings, (s) => (masked && s === mask ? 0 : binOf(s)));
      } else {
        bins = Float32Array.from(t.data, (v) => {
          if (masked && v === mask) return 0;
          const int = asInt64(v);
          return int === null ? Number.NaN : binOf(int.toString());
        });
      }
      return encodeIndices(enc, bins, t.dims);
    },
  };
}

/** HashedCrossing called once on the model inputs `inputs`, each one value per record. */
export function hashedCrossingLayer(layer: LayerSpec, inputs: ModelInput[]): HostLayer {
  const bins = numBins(layer);
  const enc = encoding(layer, ['int', 'one_hot'], bins);
  const names = inputs.map((i) => i.name);
  const outputShape = (shapes: Shape[]): Shape => {
    const first = shapes[0];
    const perRecord = first.length === 1 || (first.length === 2 && first[1] === 1);
    if (!perRecord || !shapes.every((s) => s.length === first.length && s[1] === first[1]))
      unsupported(layer, `inputs of shapes ${JSON.stringify(shapes)} (all [batch] or [batch, 1])`);
    return encodedShape(enc, first, layer);
  };
  return {
    layer,
    inputs: names,
    outputShape,
    run(ts) {
      ts.forEach((t, i) => {
        checkBatch(layer, t, names, i);
      });
      const dims = ts[0].dims;
      const count = dims.reduce((a, b) => a * b, 1);
      if (!ts.every((t) => t.dims.length === dims.length && t.dims.every((d, i) => d === dims[i])))
        throw new EngineError(
          'ENGINE_BAD_INPUT',
          `the inputs of layer ${layer.name} (${names.join(', ')}) have different dims`,
        );
      const out = new Float32Array(count);
      for (let r = 0; r < count; r += 1) {
        const features: CrossFeature[] = [];
        for (const t of ts) {
          const f = isStringTensor(t) ? t.strings[r] : asInt64(t.data[r]);
          if (f === null) break;
          features.push(f);
        }
        out[r] = features.length < ts.length ? Number.NaN : Number(crossHashed(features, bins));
      }
      return encodeIndices(enc, out, dims);
    },
  };
}
