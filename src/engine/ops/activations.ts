import { applyActivation } from '../layers/activations.js';
import type { Sym } from '../layers/registry.js';
import { tensorArg } from './operands.js';
import {
  argument,
  axisOf,
  type OpContext,
  onlyArguments,
  opConfig,
  registerOp,
  unsupportedOp,
} from './registry.js';

/**
 * `keras.ops.nn` activations (keras/src/ops/nn.py) on one tensor, with their parameters from the op's config
 * and Keras 3 formulas (keras/src/backend/tensorflow/nn.py). The shared activation code gives the
 * parameterless ones, as Keras 3 defines them.
 */

const c = (ctx: OpContext, value: number) => ctx.g.constFloat('c', [], [value]);

function activation(
  config: readonly string[],
  emit: (ctx: OpContext, x: Sym, config: Record<string, unknown>) => string,
) {
  return (ctx: OpContext): Sym => {
    const cfg = opConfig(ctx, config);
    onlyArguments(ctx, ['x']);
    const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
    return { name: emit(ctx, x, cfg), shape: x.shape };
  };
}

function numberIn(ctx: OpContext, cfg: Record<string, unknown>, key: string, fallback: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) unsupportedOp(ctx, `${key} ${JSON.stringify(v)}`);
  return v;
}

const named = (name: string) => activation([], (ctx, x) => applyActivation(ctx.g, name, x.name, 3));

registerOp('Relu', named('relu'));
registerOp('Relu6', named('relu6'));
registerOp('Sigmoid', named('sigmoid'));
registerOp('Silu', named('silu'));
registerOp('Selu', named('selu'));
registerOp('Softplus', named('softplus'));
registerOp('Softsign', named('softsign'));
registerOp('HardSigmoid', named('hard_sigmoid'));
registerOp('HardSilu', named('hard_silu'));
registerOp('HardTanh', named('hard_tanh'));
registerOp('LogSigmoid', named('log_sigmoid'));
registerOp('TanhShrink', named('tanh_shrink'));
registerOp('SparsePlus', named('sparse_plus'));

registerOp(
  'SparseSigmoid',
  activation([], (ctx, x) => {
    const { g } = ctx;
    const mid = g.op('Mul', [g.op('Add', [x.name, c(ctx, 1)]), c(ctx, 0.5)]);
    const upper = g.op('Where', [g.op('GreaterOrEqual', [x.name, c(ctx, 1)]), c(ctx, 1), mid]);
    return g.op('Where', [g.op('LessOrEqual', [x.name, c(ctx, -1)]), c(ctx, 0), upper]);
  }),
);

registerOp(
  'Gelu',
  activation(['approximate'], (ctx, x, cfg) => {
    const approximate = cfg.approximate ?? true;
    if (typeof approximate !== 'boolean') unsupportedOp(ctx, `approximate ${JSON.stringify(approximate)}`);
    if (!approximate) return applyActivation(ctx.g, 'gelu', x.name, 3);
    // tf.nn.gelu(approximate=True): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const { g } = ctx;
    const cube = g.op('Mul', [g.op('Mul', [x.name, x.name]), x.name]);
    const inner = g.op('Mul', [
      g.op('Add', [x.name, g.op('Mul', [cube, c(ctx, 0.044715)])]),
      c(ctx, Math.sqrt(2 / Math.PI)),
    ]);
    const t = g.op('Add', [g.op('Tanh', [inner]), c(ctx, 1)]);
    return g.op('Mul', [g.op('Mul', [x.name, t]), c(ctx, 0.5)]);
  }),
);

registerOp(
  'Elu',
  activation(['alpha'], (ctx, x, cfg) => {
    const alpha = numberIn(ctx, cfg, 'alpha', 1);
    const elu = ctx.g.op('Elu', [x.name], { alpha: { f: 1 } });
    if (alpha === 1) return elu;
    return ctx.g.op('Where', [
      ctx.g.op('Greater', [x.name, c(ctx, 0)]),
      elu,
      ctx.g.op('Mul', [elu, c(ctx, alpha)]),
    ]);
  }),
);

registerOp(
  'Celu',
  activation(['alpha'], (ctx, x, cfg) => {
    const alpha = numberIn(ctx, cfg, 'alpha', 1);
    return ctx.g.op('Celu', [x.name], { alpha: { f: alpha } });
  }),
);

registerOp(
  'LeakyRelu',
  activation(['negative_slope'], (ctx, x, cfg) =>
    ctx.g.op('LeakyRelu', [x.name], { alpha: { f: numberIn(ctx, cfg, 'negative_slope', 0.2) } }),
  ),
);

registerOp(
  ['SoftShrink', 'HardShrink'],
  activation(['threshold'], (ctx, x, cfg) => {
    const t = numberIn(ctx, cfg, 'threshold', 0.5);
    const soft = ctx.op.className === 'ops.SoftShrink';
    return ctx.g.op('Shrink', [x.name], { bias: { f: soft ? t : 0 }, lambd: { f: t } });
  }),
);

registerOp(
  'Squareplus',
  activation(['b'], (ctx, x, cfg) => {
    const { g } = ctx;
    const root = g.op('Sqrt', [
      g.op('Add', [g.op('Mul', [x.name, x.name]), c(ctx, numberIn(ctx, cfg, 'b', 4))]),
    ]);
    return g.op('Div', [g.op('Add', [x.name, root]), c(ctx, 2)]);
  }),
);

registerOp(
  'Threshold',
  activation(['threshold', 'default_value'], (ctx, x, cfg) => {
    const t = numberIn(ctx, cfg, 'threshold', Number.NaN);
    const v = numberIn(ctx, cfg, 'default_value', Number.NaN);
    return ctx.g.op('Where', [ctx.g.op('Greater', [x.name, c(ctx, t)]), x.name, c(ctx, v)]);
  }),
);

function softmaxLike(type: 'Softmax' | 'LogSoftmax') {
  return (ctx: OpContext): Sym => {
    const cfg = opConfig(ctx, ['axis']);
    onlyArguments(ctx, ['x']);
    const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
    const axis = axisOf(ctx, cfg.axis ?? -1, x.shape.length);
    if (axis === 0) unsupportedOp(ctx, 'a softmax over the batch axis');
    return { name: ctx.g.op(type, [x.name], { axis: { i: axis } }), shape: x.shape };
  };
}
registerOp('Softmax', softmaxLike('Softmax'));
registerOp('LogSoftmax', softmaxLike('LogSoftmax'));

/** glu: split the axis in halves a, b; a · sigmoid(b). */
registerOp('Glu', (ctx) => {
  const cfg = opConfig(ctx, ['axis']);
  onlyArguments(ctx, ['x']);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const axis = axisOf(ctx, cfg.axis ?? -1, x.shape.length);
  const size = x.shape[axis];
  if (axis === 0 || size === null || size % 2 !== 0) unsupportedOp(ctx, `glu over an axis of size ${size}`);
  const [a, b] = ctx.g.opN('Split', [x.name, ctx.g.constInt64('split', [size / 2, size / 2])], 2, {
    axis: { i: axis },
  });
  const shape = [...x.shape];
  shape[axis] = size / 2;
  return { name: ctx.g.op('Mul', [a, ctx.g.op('Sigmoid', [b])]), shape };
});
