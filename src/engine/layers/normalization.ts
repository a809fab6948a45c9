import type { LayerSpec, WeightTensor } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { type ConfigReader, requireWeights, unsupported } from './config.js';
import { normalizeAxis, toChannelsFirst, toChannelsLast } from './layout.js';
import { registerLayer, type Sym } from './registry.js';

/** Normalized, sorted, de-duplicated feature axes of an `axis` config (int or list; the batch axis refused). */
export function readAxes(
  cfg: ConfigReader<{ axis?: number | number[] }>,
  layer: LayerSpec,
  rank: number,
  fallback: number,
): number[] {
  const raw = cfg.raw('axis');
  const list = raw === undefined || raw === null ? [fallback] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((a) => typeof a === 'number' && Number.isInteger(a))) {
    unsupported(layer, `axis ${JSON.stringify(raw)}`);
  }
  const axes = [...new Set((list as number[]).map((a) => normalizeAxis(a, rank)))].sort((a, b) => a - b);
  if (axes.some((a) => a <= 0 || a >= rank))
    unsupported(layer, `axis ${JSON.stringify(raw)} on rank ${rank}`);
  return axes;
}

/** The shape (batch axis dropped) that broadcasts a per-feature parameter over the axes `axes`. */
function paramShape(layer: LayerSpec, x: Sym, axes: number[], size: number): number[] {
  const dims = x.shape.slice(1).map((d, i) => (axes.includes(i + 1) ? d : 1));
  const known = dims.every((d) => d !== null) ? (dims as number[]) : null;
  if (known && known.reduce((a, b) => a * b, 1) === size) return known;
  if (axes.length === 1) {
    return x.shape.slice(1).map((_, i) => (axes.includes(i + 1) ? size : 1));
  }
  return unsupported(layer, `parameters of ${size} values on axes ${axes} of input [${x.shape}]`);
}

/**
 * BatchNormalization at inference, folded into `x * scale + shift` with
 * `scale = gamma / sqrt(moving_variance + epsilon)` and `shift = beta - moving_mean * scale`, as
 * `tf.nn.batch_normalization` computes it (keras/src/layers/normalization/batch_normalization.py).
 * Weights `[gamma?, beta?, moving_mean, moving_variance]` by `scale`/`center`.
 */
registerLayer('BatchNormalization', ({ g, layer, inputs, config: cfg }) => {
  const x = inputs[0];
  const mode = cfg.number('mode', 0);
  if (mode !== 0) unsupported(layer, `Keras 1 mode ${mode}`);
  const scaleOn = cfg.bool('scale', true);
  const centerOn = cfg.bool('center', true);
  const eps = cfg.number('epsilon', 1e-3);
  const count = (scaleOn ? 1 : 0) + (centerOn ? 1 : 0) + 2;
  requireWeights(layer, count);
  let i = 0;
  const gamma = scaleOn ? layer.weights[i++] : null;
  const beta = centerOn ? layer.weights[i++] : null;
  const mean = layer.weights[i++];
  const variance = layer.weights[i++];
  const n = mean.data.length;
  for (const w of [gamma, beta, variance]) {
    if (w && w.data.length !== n)
      unsupported(layer, `weight ${w.name} of ${w.data.length} values for ${n} features`);
  }
  const scale = new Float32Array(n);
  const shift = new Float32Array(n);
  for (let c = 0; c < n; c += 1) {
    // float32 steps as TF takes them: rsqrt(var + eps) * gamma, then beta - mean * inv
    const inv = Math.fround(
      Math.fround(1 / Math.sqrt(Math.fround(variance.data[c] + eps))) * (gamma ? gamma.data[c] : 1),
    );
    scale[c] = inv;
    shift[c] = (beta ? beta.data[c] : 0) - Math.fround(mean.data[c] * inv);
  }
  const axes = readAxes(cfg, layer, x.shape.length, -1);
  if (x.shape.length === 4 && axes.length === 1 && axes[0] === 3 && x.shape[3] === n) {
    // NHWC images: an ONNX BatchNormalization on channels-first between Transposes that cancel with the
    // convolutions' own, computing x * scale + shift exactly (mean 0, variance 1, epsilon 0). onnxruntime's
    // NCHWc optimizer turns it into a per-channel convolution that a following Relu fuses into; as
    // Mul + Add, the Add and Relu ran unfused, each between reorders out of and back into the NCHWc
    // layout (DenseNet: twice per dense layer, on the growing concatenation).
    const nchw = toChannelsFirst(g, x);
    const y = g.op(
      'BatchNormalization',
      [
        nchw.name,
        g.constFloat(`${layer.name}_scale`, [n], scale),
        g.constFloat(`${layer.name}_shift`, [n], shift),
        g.constFloat(`${layer.name}_zero_mean`, [n], new Float32Array(n)),
        g.constFloat(`${layer.name}_unit_variance`, [n], new Float32Array(n).fill(1)),
      ],
      { epsilon: { f: 0 } },
    );
    return { outputs: [{ name: toChannelsLast(g, { name: y, shape: nchw.shape }).name, shape: x.shape }] };
  }
  const shape = paramShape(layer, x, axes, n);
  const y = g.op('Add', [
    g.op('Mul', [x.name, g.constFloat(`${layer.name}_scale`, shape, scale)]),
    g.constFloat(`${layer.name}_shift`, shape, shift),
  ]);
  return { outputs: [{ name: y, shape: x.shape }] };
});

function paramConst(g: GraphBuilder, layer: LayerSpec, w: WeightTensor, x: Sym, axes: number[]): string {
  return g.constFloat(`${layer.name}_${w.name}`, paramShape(layer, x, axes, w.data.length), w.data);
}

/**
 * LayerNormalization over one or more axes (keras/src/ops/nn.py `_layer_normalization`): mean/variance over
 * the axes, `(x - mean) * rsqrt(var + eps) * gamma + beta`. Trailing contiguous axes use ONNX
 * LayerNormalization; other axis sets and Keras 3's `rms_scaling` (which, as Keras does, divides by the
 * standard deviation without centring) use reductions. Weights `[gamma?, beta?]` by `scale`/`center`.
 */
registerLayer('LayerNormalization', ({ g, layer, inputs, config: cfg }) => {
  const x = inputs[0];
  const r = x.shape.length;
  const axes = readAxes(cfg, layer, r, -1);
  const rms = cfg.bool('rms_scaling', false);
  // with rms_scaling Keras 3 always builds gamma and never beta (layer_normalization.py `build`)
  const scaleOn = rms || cfg.bool('scale', true);
  const centerOn = !rms && cfg.bool('center', true);
  const eps = cfg.number('epsilon', 1e-3);
  requireWeights(layer, (scaleOn ? 1 : 0) + (centerOn ? 1 : 0));
  const gamma = scaleOn ? layer.weights[0] : null;
  const beta = centerOn ? layer.weights[scaleOn ? 1 : 0] : null;
  const trailing = axes.every((a, i) => a === r - axes.length + i);
  const normShape = axes.map((a) => x.shape[a]);
  const normKnown = normShape.every((d) => d !== null) ? (normShape as number[]) : null;
  if (!rms && trailing && normKnown) {
    const size = normKnown.reduce((a, b) => a * b, 1);
    for (const w of [gamma, beta]) {
      if (w && w.data.length !== size)
        unsupported(layer, `weight ${w.name} of ${w.data.length} values for ${size}`);
    }
    const scaleName = gamma
      ? g.constFloat(`${layer.name}_gamma`, normKnown, gamma.data)
      : g.constFloat(`${layer.name}_ones`, normKnown, new Float32Array(size).fill(1));
    const ins = [x.name, scaleName];
    if (beta) ins.push(g.constFloat(`${layer.name}_beta`, normKnown, beta.data));
    const y = g.op('LayerNormalization', ins, { axis: { i: axes[0] }, epsilon: { f: eps } });
    return { outputs: [{ name: y, shape: x.shape }] };
  }
  const reduce = (t: string) => g.op('ReduceMean', [t], { axes: { ints: axes }, keepdims: { i: 1 } });
  const mean = reduce(x.name);
  const centred = g.op('Sub', [x.name, mean]);
  const variance = reduce(g.op('Mul', [centred, centred]));
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.constFloat('eps', [], [eps])])])]);
  let y = g.op('Mul', [rms ? x.name : centred, inv]);
  if (gamma) y = g.op('Mul', [y, paramConst(g, layer, gamma, x, axes)]);
  if (beta && !rms) y = g.op('Add', [y, paramConst(g, layer, beta, x, axes)]);
  return { outputs: [{ name: y, shape: x.shape }] };
});

/**
 * L2 normalization `x * min(rsqrt(sum(x^2, axes)), 1 / eps)`: Keras 3 UnitNormalization uses eps 1e-12 on the
 * norm (keras/src/ops/nn.py `_normalize`); tf_keras uses `tf.linalg.l2_normalize`, eps 1e-12 on the squared
 * sum. Shared with Dot(normalize=True).
 */
export function l2Normalize(g: GraphBuilder, x: string, axes: number[], maxInverse: number): string {
  const sq = g.op('ReduceSum', [g.op('Mul', [x, x]), g.constInt64('axes', axes)], { keepdims: { i: 1 } });
  const inv = g.op('Reciprocal', [g.op('Sqrt', [sq])]);
  return g.op('Mul', [x, g.op('Min', [inv, g.constFloat('max_inv_norm', [], [maxInverse])])]);
}

registerLayer('UnitNormalization', ({ g, layer, inputs, model, config }) => {
  const x = inputs[0];
  const axes = readAxes(config, layer, x.shape.length, -1);
  const cap = model.kerasMajor >= 3 ? 1e12 : 1e6;
  return { outputs: [{ name: l2Normalize(g, x.name, axes, cap), shape: x.shape }] };
});
