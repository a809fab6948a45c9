import { EngineError } from '../../util/errors.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';

/**
 * Emits a Keras built-in activation on tensor `x`. `kerasMajor` matters for `hard_sigmoid`
 * (Keras 2: clip(0.2x + 0.5), Keras 3: relu6(x + 3) / 6) — see keras/src/activations/activations.py.
 * `axis` is used by softmax-like activations.
 */
export function applyActivation(
  g: GraphBuilder,
  name: string,
  x: string,
  kerasMajor: number,
  axis = -1,
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
    default:
      throw new EngineError('ENGINE_UNSUPPORTED_ACTIVATION', `activation "${name}" is not supported`);
  }
}

/** Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))), the default in Keras 2 and 3. */
function gelu(g: GraphBuilder, x: string): string {
  const scaled = g.op('Mul', [x, g.constFloat('inv_sqrt2', [], [Math.SQRT1_2])]);
  const erf1 = g.op('Add', [g.op('Erf', [scaled]), g.constFloat('one', [], [1])]);
  return g.op('Mul', [g.op('Mul', [x, erf1]), g.constFloat('half', [], [0.5])]);
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
];

/** Reads a layer's `activation` config (a name after the loader's normalization). */
export function activationName(value: unknown): string {
  if (value === undefined || value === null) return 'linear';
  if (typeof value === 'string') return value;
  throw new EngineError('ENGINE_BAD_CONFIG', `activation should be a name, got ${JSON.stringify(value)}`);
}
