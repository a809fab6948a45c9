import { isObject } from '../../keras/json.js';
import type { LayerSpec } from '../../keras/model.js';
import { unsupported } from './config.js';
import { normalizeAxis } from './layout.js';
import { registerLayer } from './registry.js';

/** A numeric array of a config: its shape (numpy's) and its values, row-major, as float64. */
export interface ConfigArray {
  shape: number[];
  data: number[];
}

/**
 * Reads a number, a nested list of numbers, or a Keras 3 serialized numpy array
 * (`{"class_name": "__numpy__", "config": {"value": ..., "dtype": ...}}`); null when it is none of these.
 */
export function configArray(value: unknown): ConfigArray | null {
  if (isObject(value) && value.class_name === '__numpy__' && isObject(value.config)) {
    return configArray(value.config.value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? { shape: [], data: [value] } : null;
  if (!Array.isArray(value)) return null;
  if (value.length === 0) return { shape: [0], data: [] };
  const parts = value.map(configArray);
  if (parts.some((p) => p === null)) return null;
  const first = (parts[0] as ConfigArray).shape;
  if (parts.some((p) => (p as ConfigArray).shape.join(',') !== first.join(','))) return null;
  return { shape: [value.length, ...first], data: parts.flatMap((p) => (p as ConfigArray).data) };
}

/** numpy broadcasting of `a` to `target` (right-aligned); null when the shapes do not broadcast. */
export function broadcastTo(a: ConfigArray, target: number[]): number[] | null {
  if (a.shape.length > target.length) return null;
  const lead = target.length - a.shape.length;
  const src = [...Array(lead).fill(1), ...a.shape];
  if (src.some((d, i) => d !== 1 && d !== target[i])) return null;
  const n = target.reduce((x, y) => x * y, 1);
  const srcStrides = src.map((_, i) => src.slice(i + 1).reduce((x, y) => x * y, 1));
  const out = new Array<number>(n);
  const idx = Array(target.length).fill(0);
  for (let k = 0; k < n; k += 1) {
    let off = 0;
    for (let d = 0; d < target.length; d += 1) if (src[d] !== 1) off += idx[d] * srcStrides[d];
    out[k] = a.data[off];
    for (let d = target.length - 1; d >= 0; d -= 1) {
      idx[d] += 1;
      if (idx[d] < target[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Rescaling: `cast(x, float32) * scale + offset` with scale/offset numbers or arrays broadcast as numpy does
 * (keras/src/layers/preprocessing/rescaling.py, tf_keras image_preprocessing.py). Keras 3 reshapes an array
 * scale for a process-wide `channels_first` image data format; that setting is not saved in the file, and the
 * default `channels_last` is assumed.
 */
registerLayer('Rescaling', ({ g, layer, inputs }) => {
  const x = inputs[0];
  const read = (key: string, fallback: number) => {
    const raw = layer.config[key];
    const arr = raw === undefined || raw === null ? { shape: [], data: [fallback] } : configArray(raw);
    if (!arr) unsupported(layer, `${key} ${JSON.stringify(raw)}`);
    if (arr.shape.length > x.shape.length) unsupported(layer, `${key} of shape [${arr.shape}]`);
    return g.constFloat(`${layer.name}_${key}`, arr.shape, Float32Array.from(arr.data));
  };
  const y = g.op('Add', [g.op('Mul', [x.name, read('scale', 1)]), read('offset', 0)]);
  return { outputs: [{ name: y, shape: x.shape }] };
});

/** The kept axes of a Normalization `axis` config (int, list, or null/[] for none), normalized and sorted. */
function keepAxes(layer: LayerSpec, rank: number): number[] {
  const raw = layer.config.axis;
  const list = raw === undefined ? [-1] : raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  if (!list.every((a) => typeof a === 'number' && Number.isInteger(a) && a >= -rank && a < rank)) {
    unsupported(layer, `axis ${JSON.stringify(raw)} on rank ${rank}`);
  }
  return [...new Set((list as number[]).map((a) => normalizeAxis(a, rank)))].sort((a, b) => a - b);
}

/**
 * Normalization: `(x - mean) / max(sqrt(variance), 1e-7)`, or with `invert` `mean + x * max(sqrt(variance),
 * 1e-7)`, in float32 (keras/src/layers/preprocessing/normalization.py; tf_keras the same). Mean and variance
 * come from the config (`mean`/`variance`, broadcast to the kept axes, right-aligned) or, adapted, from the
 * weights `[mean, variance, count]` shaped by the kept axes.
 */
registerLayer('Normalization', ({ g, layer, inputs }) => {
  const x = inputs[0];
  const rank = x.shape.length;
  const keep = keepAxes(layer, rank);
  if (keep.includes(0)) unsupported(layer, 'normalizing along the batch axis');
  const keepShape = keep.map((a) => x.shape[a]);
  if (keepShape.some((d) => d === null)) unsupported(layer, `kept axes ${keep} of open size in [${x.shape}]`);
  const bshape = x.shape.map((d, i) => (keep.includes(i) ? (d as number) : 1));
  const fromConfig = layer.config.mean !== undefined && layer.config.mean !== null;
  let mean: ConfigArray;
  let variance: ConfigArray;
  if (fromConfig) {
    const m = configArray(layer.config.mean);
    const v = configArray(layer.config.variance);
    if (!m || !v) unsupported(layer, 'mean/variance in the config that are not numbers or arrays');
    if (m.shape.length > keep.length) unsupported(layer, `mean of shape [${m.shape}] for axes ${keep}`);
    mean = m;
    variance = v;
  } else {
    if (layer.weights.length < 2) {
      unsupported(layer, 'a Normalization with neither mean/variance in its config nor adapted weights');
    }
    const [mw, vw] = layer.weights;
    mean = { shape: mw.shape, data: Array.from(mw.data) };
    variance = { shape: vw.shape, data: Array.from(vw.data) };
  }
  const target = keepShape as number[];
  const m = broadcastTo(mean, target);
  const v = broadcastTo(variance, target);
  if (!m || !v) {
    unsupported(
      layer,
      `mean [${mean.shape}] / variance [${variance.shape}] for kept axes of size [${target}]`,
    );
  }
  const eps = Math.fround(1e-7);
  const denom = Float32Array.from(v, (val) => Math.max(Math.fround(Math.sqrt(Math.fround(val))), eps));
  if (denom.some((d) => Number.isNaN(d))) unsupported(layer, 'a negative variance');
  const meanC = g.constFloat(`${layer.name}_mean`, bshape.slice(1), Float32Array.from(m));
  const denomC = g.constFloat(`${layer.name}_std`, bshape.slice(1), denom);
  const inverted = layer.config.invert === true;
  const y = inverted
    ? g.op('Add', [meanC, g.op('Mul', [x.name, denomC])])
    : g.op('Div', [g.op('Sub', [x.name, meanC]), denomC]);
  return { outputs: [{ name: y, shape: x.shape }] };
});
