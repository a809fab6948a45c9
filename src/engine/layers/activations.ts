import type { Shape } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';

/**
 * Emits a Keras built-in activation on tensor `x`. `kerasMajor` matters for `hard_sigmoid`
 * (Keras 2: clip(0.2x + 0.5), Keras 3: relu6(x + 3) / 6) — see keras/src/activations/activations.py.
 * `axis` is used by softmax-like activations; `lastDim` (the axis length) by sparsemax.
 */
export function applyActivation(
  g: GraphBuilder,
  name: string,
  x: string,
  kerasMajor: number,
  axis = -1,
  lastDim: number | null = null,
): string {
  const hardSigmoidAlpha = kerasMajor >= 3 ? 1 / 6 : 0.2;
  switch (name) {
    case 'linear':
    case 'identity':
      return x;
    case 'relu':
      return g.op('Relu', [x]);
    case 'relu6':
      return g.op('Clip', [x, g.constFloat('zero', [], [0]), g.constFloat('six', [], [6])]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'tanh':
      return g.op('Tanh', [x]);
    case 'softmax':
      return g.op('Softmax', [x], { axis: { i: axis } });
    case 'log_softmax':
      return g.op('LogSoftmax', [x], { axis: { i: axis } });
    case 'softplus':
      return g.op('Softplus', [x]);
    case 'softsign':
      return g.op('Softsign', [x]);
    case 'selu':
      return g.op('Selu', [x], { alpha: { f: 1.6732632423543772 }, gamma: { f: 1.0507009873554805 } });
    case 'elu':
      return g.op('Elu', [x], { alpha: { f: 1 } });
    case 'celu':
      return g.op('Celu', [x], { alpha: { f: 1 } });
    case 'exponential':
      return g.op('Exp', [x]);
    case 'hard_sigmoid':
      return g.op('HardSigmoid', [x], { alpha: { f: hardSigmoidAlpha }, beta: { f: 0.5 } });
    case 'hard_silu':
    case 'hard_swish':
      return g.op('Mul', [x, g.op('HardSigmoid', [x], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } })]);
    case 'swish':
    case 'silu':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'gelu':
      return gelu(g, x);
    case 'leaky_relu':
      return g.op('LeakyRelu', [x], { alpha: { f: 0.2 } });
    case 'mish':
      return g.op('Mul', [x, g.op('Tanh', [g.op('Softplus', [x])])]);
    case 'softmax_v2':
      return g.op('Softmax', [x], { axis: { i: axis } });
    case 'hard_tanh':
      return g.op('Clip', [x, g.constFloat('minus_one', [], [-1]), g.constFloat('one', [], [1])]);
    case 'soft_shrink':
      return g.op('Shrink', [x], { bias: { f: 0.5 }, lambd: { f: 0.5 } });
    case 'hard_shrink':
      return g.op('Shrink', [x], { bias: { f: 0 }, lambd: { f: 0.5 } });
    case 'tanh_shrink':
      return g.op('Sub', [x, g.op('Tanh', [x])]);
    case 'log_sigmoid':
      return g.op('Neg', [g.op('Softplus', [g.op('Neg', [x])])]);
    case 'squareplus': {
      const root = g.op('Sqrt', [g.op('Add', [g.op('Mul', [x, x]), g.constFloat('four', [], [4])])]);
      return g.op('Mul', [g.op('Add', [x, root]), g.constFloat('half', [], [0.5])]);
    }
    case 'sparse_plus':
      return sparsePlus(g, x);
    case 'sparsemax':
      return sparsemax(g, x, axis, lastDim);
    case 'sparse_sigmoid':
      // Keras 3: 0 for x <= -1, 1 for x >= 1, 0.5 * (x + 1) between (exactly 0 and 1 at the ends)
      return g.op('Clip', [
        g.op('Mul', [g.op('Add', [x, g.constFloat('one', [], [1])]), g.constFloat('half', [], [0.5])]),
        g.constFloat('zero', [], [0]),
        g.constFloat('one', [], [1]),
      ]);
    case 'glu':
      throw new EngineError(
        'ENGINE_UNSUPPORTED_ACTIVATION',
        'activation "glu" halves the last axis and is only supported on Dense, EinsumDense and Activation layers',
      );
    default:
      throw new EngineError('ENGINE_UNSUPPORTED_ACTIVATION', `activation "${name}" is not supported`);
  }
}

/**
 * An activation with the shape it gives: `glu` (Keras 3: `x1 * sigmoid(x2)` with `x1, x2` the halves of the last
 * axis, `tf.split`) halves the last axis; every other activation keeps the shape.
 */
export function applyActivationShaped(
  g: GraphBuilder,
  name: string,
  x: { name: string; shape: Shape },
  kerasMajor: number,
): { name: string; shape: Shape } {
  const last = x.shape[x.shape.length - 1] ?? null;
  if (name !== 'glu') return { name: applyActivation(g, name, x.name, kerasMajor, -1, last), shape: x.shape };
  if (last !== null && last % 2 !== 0)
    throw new EngineError('ENGINE_UNSUPPORTED_ACTIVATION', `glu on an odd last axis of ${last}`);
  const [a, b] = g.opN('Split', [x.name], 2, { axis: { i: -1 } });
  return {
    name: g.op('Mul', [a, g.op('Sigmoid', [b])]),
    shape: [...x.shape.slice(0, -1), last === null ? null : last / 2],
  };
}

/** Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))), the default in Keras 2 and 3. */
/**
 * Exact GELU in the form onnxruntime's Gelu fusion recognises (`Div` by √2, not `Mul` by 1/√2): it becomes one
 * Gelu, or BiasGelu with the Dense bias before it (ConvNeXtTiny 64² at batch 32: the Mul/Add/Erf chain took 16%
 * of the run, BiasGelu 9%).
 */
function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.op('Div', [x, g.constFloat('sqrt2', [], [Math.SQRT2])]);
  const erf1 = g.op('Add', [g.op('Erf', [scaled]), g.constFloat('one', [], [1])]);
  return g.op('Mul', [g.op('Mul', [x, erf1]), g.constFloat('half', [], [0.5])]);
}

/** Keras 3 `sparse_plus`: 0 for x <= -1, (x + 1)^2 / 4 between -1 and 1, x for x >= 1. */
function sparsePlus(g: GraphBuilder, x: string): string {
  const one = g.constFloat('one', [], [1]);
  const clipped = g.op('Clip', [x, g.constFloat('minus_one', [], [-1]), one]);
  const shifted = g.op('Add', [clipped, one]);
  const quadratic = g.op('Mul', [g.op('Mul', [shifted, shifted]), g.constFloat('quarter', [], [0.25])]);
  return g.op('Where', [g.op('GreaterOrEqual', [x, one]), x, quadratic]);
}

/**
 * Keras 3 `sparsemax` along the last axis (Martins & Astudillo 2016): sort descending, find the support size k,
 * threshold tau, output max(x - tau, 0), exactly as Keras 3 computes it. Needs the axis length at compile time.
 */
function sparsemax(g: GraphBuilder, x: string, axis: number, size: number | null): string {
  if (size === null || axis !== -1) {
    throw new EngineError('ENGINE_UNSUPPORTED_ACTIVATION', 'sparsemax needs a fixed last axis');
  }
  const sorted = g.opN('TopK', [x, g.constInt64('k', [size])], 2, {
    axis: { i: -1 },
    largest: { i: 1 },
    sorted: { i: 1 },
  })[0];
  const cumsum = g.op('CumSum', [sorted, g.constInt64('axis_last', [-1], [])]);
  const ks = g.constFloat(
    'ks',
    [size],
    Array.from({ length: size }, (_, i) => i + 1),
  );
  const one = g.constFloat('one', [], [1]);
  const bound = g.op('Div', [g.op('Sub', [cumsum, one]), ks]);
  const support = g.op('Cast', [g.op('Greater', [sorted, bound])], { to: { i: 1 } });
  const axes = g.constInt64('axes_last', [-1]);
  const k = g.op('ReduceSum', [support, axes], { keepdims: { i: 1 } });
  // As Keras 3 computes it (keras/src/backend/tensorflow/nn.py): the sum runs over the cumulative sums.
  const supportSum = g.op('ReduceSum', [g.op('Mul', [support, cumsum]), axes], { keepdims: { i: 1 } });
  const tau = g.op('Div', [g.op('Sub', [supportSum, one]), k]);
  return g.op('Relu', [g.op('Sub', [x, tau])]);
}

/** The names `applyActivation` knows. */
export const ACTIVATIONS = [
  'linear',
  'identity',
  'relu',
  'relu6',
  'sigmoid',
  'tanh',
  'softmax',
  'log_softmax',
  'softplus',
  'softsign',
  'selu',
  'elu',
  'celu',
  'exponential',
  'hard_sigmoid',
  'hard_silu',
  'hard_swish',
  'swish',
  'silu',
  'gelu',
  'leaky_relu',
  'mish',
  'sparse_sigmoid',
];

/** Reads a layer's `activation` config (a name after the loader's normalization). */
export function activationName(value: unknown): string {
  if (value === undefined || value === null) return 'linear';
  if (typeof value === 'string') return value;
  throw new EngineError('ENGINE_BAD_CONFIG', `activation should be a name, got ${JSON.stringify(value)}`);
}
