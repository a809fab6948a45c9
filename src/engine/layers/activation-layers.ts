import type { SoftmaxConfig } from '../../keras/layer-classes/activation.js';
import type { LayerSpec } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { type ConfigReader, requireWeights, unsupported } from './config.js';
import { normalizeAxis } from './layout.js';
import { registerLayer, type Sym } from './registry.js';

/**
 * The activation layers (keras/src/layers/activations/*.py, tf_keras advanced_activations.py).
 * Every one keeps the input shape.
 */

const same = (x: Sym, name: string): { outputs: Sym[] } => ({ outputs: [{ name, shape: x.shape }] });

/**
 * Keras `relu(x, negative_slope, max_value, threshold)` exactly as keras/src/activations/activations.py
 * (`ReLU.static_call`) and tf_keras `backend.relu` compute it:
 * `clip(x * (x > threshold), 0, max_value) - negative_slope * relu(threshold - x)`.
 */
export function emitRelu(
  g: GraphBuilder,
  x: string,
  negativeSlope: number,
  maxValue: number | null,
  threshold: number,
): string {
  if (negativeSlope !== 0 && maxValue === null && threshold === 0) {
    return g.op('LeakyRelu', [x], { alpha: { f: negativeSlope } });
  }
  let y: string;
  if (threshold !== 0) {
    const t = g.constFloat('relu_threshold', [], [threshold]);
    y = g.op('Mul', [x, g.op('Cast', [g.op('Greater', [x, t])], { to: { i: 1 } })]);
  } else {
    y = g.op('Relu', [x]);
  }
  if (maxValue !== null) {
    y = g.op('Clip', [y, g.constFloat('zero', [], [0]), g.constFloat('relu_max', [], [maxValue])]);
  }
  if (negativeSlope !== 0) {
    const negIn =
      threshold !== 0 ? g.op('Sub', [g.constFloat('relu_threshold', [], [threshold]), x]) : g.op('Neg', [x]);
    const neg = g.op('Mul', [g.op('Relu', [negIn]), g.constFloat('relu_slope', [], [negativeSlope])]);
    y = g.op('Sub', [y, neg]);
  }
  return y;
}

registerLayer('ReLU', ({ g, layer, inputs, config: cfg }) => {
  const maxValue = cfg.optionalNumber('max_value');
  if (maxValue !== null && maxValue < 0) unsupported(layer, `max_value ${maxValue}`);
  const y = emitRelu(
    g,
    inputs[0].name,
    cfg.number('negative_slope', 0),
    maxValue,
    cfg.number('threshold', 0),
  );
  return same(inputs[0], y);
});

/** Keras 2 calls the slope `alpha` (default 0.3), Keras 3 `negative_slope` (default 0.3). */
registerLayer('LeakyReLU', ({ g, inputs, config: cfg }) => {
  const slope = cfg.has('negative_slope') ? cfg.number('negative_slope') : cfg.number('alpha', 0.3);
  return same(inputs[0], g.op('LeakyRelu', [inputs[0].name], { alpha: { f: slope } }));
});

/** PReLU: `relu(x) - alpha * relu(-x)`, alpha shaped like the input without the batch axis, 1 on shared axes. */
registerLayer('PReLU', ({ g, layer, inputs }) => {
  requireWeights(layer, 1);
  const alpha = layer.weights[0];
  const x = inputs[0];
  if (alpha.shape.length !== x.shape.length - 1) {
    unsupported(layer, `alpha of shape [${alpha.shape}] on input rank ${x.shape.length}`);
  }
  const slope = g.constFloat(`${layer.name}_alpha`, alpha.shape, alpha.data);
  return same(x, g.op('PRelu', [x.name, slope]));
});

/** ELU with `alpha` (tf_keras backend.elu; keras/src/activations/activations.py `elu`). */
registerLayer('ELU', ({ g, inputs, config }) => {
  const alpha = config.number('alpha', 1);
  return same(inputs[0], g.op('Elu', [inputs[0].name], { alpha: { f: alpha } }));
});

/** ThresholdedReLU: `x * (x > theta)` (tf_keras advanced_activations.py). */
registerLayer('ThresholdedReLU', ({ g, inputs, config }) => {
  const theta = config.number('theta', 1);
  const x = inputs[0].name;
  const mask = g.op('Cast', [g.op('Greater', [x, g.constFloat('theta', [], [theta])])], { to: { i: 1 } });
  return same(inputs[0], g.op('Mul', [x, mask]));
});

function softmaxAxes(cfg: ConfigReader<SoftmaxConfig>, layer: LayerSpec, rank: number): number[] {
  const raw = cfg.raw('axis');
  const list = raw === undefined || raw === null ? [-1] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((a) => typeof a === 'number' && Number.isInteger(a))) {
    unsupported(layer, `axis ${JSON.stringify(raw)}`);
  }
  const axes = (list as number[]).map((a) => normalizeAxis(a, rank));
  if (axes.some((a) => a <= 0 || a >= rank))
    unsupported(layer, `axis ${JSON.stringify(raw)} on rank ${rank}`);
  return [...new Set(axes)].sort((a, b) => a - b);
}

/**
 * Softmax over one axis or several (`exp(x - logsumexp(x, axes))`, keras/src/activations/activations.py).
 * A `mask` call argument (attention masks) is refused: the compiler does not pass tensors in kwargs.
 */
registerLayer(
  'Softmax',
  ({ g, layer, inputs, kwargs, config }) => {
    if (kwargs.mask !== undefined && kwargs.mask !== null) unsupported(layer, 'a mask call argument');
    const x = inputs[0];
    const axes = softmaxAxes(config, layer, x.shape.length);
    if (axes.length === 1) return same(x, g.op('Softmax', [x.name], { axis: { i: axes[0] } }));
    const shifted = g.op('Sub', [
      x.name,
      g.op('ReduceMax', [x.name], { axes: { ints: axes }, keepdims: { i: 1 } }),
    ]);
    const e = g.op('Exp', [shifted]);
    const sum = g.op('ReduceSum', [e, g.constInt64('axes', axes)], { keepdims: { i: 1 } });
    return same(x, g.op('Div', [e, sum]));
  },
  { kwargs: ['mask'] },
);
