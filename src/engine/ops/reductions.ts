import type { Shape } from '../../keras/model.js';
import type { Sym } from '../layers/registry.js';
import { boolToFloat, floatToBool, ONNX_FLOAT, tensorArg } from './operands.js';
import {
  argument,
  featureAxes,
  type OpContext,
  onlyArguments,
  opConfig,
  registerOp,
  unsupportedOp,
} from './registry.js';

/**
 * Reductions (keras/src/ops/numpy.py `Sum`, `Mean`, `Max` … and math.py `Logsumexp`) over feature axes.
 * `axis=None` reduces the batch axis too, so each record's result would depend on the others: refused.
 */

function reducedShape(shape: Shape, axes: number[], keepdims: boolean): Shape {
  return keepdims
    ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : shape.filter((_, i) => !axes.includes(i));
}

interface Reduction {
  ctx: OpContext;
  x: Sym;
  axes: number[];
  keep: number;
}

function reduction(extraConfig: readonly string[], emit: (r: Reduction) => string, resultIsBool = false) {
  return (ctx: OpContext): Sym => {
    const cfg = opConfig(ctx, ['axis', 'keepdims', ...extraConfig]);
    onlyArguments(ctx, ['x']);
    const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
    const keepdims = cfg.keepdims ?? false;
    if (typeof keepdims !== 'boolean') unsupportedOp(ctx, `keepdims ${JSON.stringify(keepdims)}`);
    const axes = featureAxes(ctx, cfg.axis, x.shape.length);
    const out = emit({ ctx, x, axes, keep: keepdims ? 1 : 0 });
    return { name: resultIsBool ? boolToFloat(ctx, out) : out, shape: reducedShape(x.shape, axes, keepdims) };
  };
}

const withAttr =
  (type: string) =>
  ({ ctx, x, axes, keep }: Reduction) =>
    ctx.g.op(type, [x.name], { axes: { ints: axes }, keepdims: { i: keep } });

const sum = ({ ctx, x, axes, keep }: Reduction, input = x.name) =>
  ctx.g.op('ReduceSum', [input, ctx.g.constInt64('axes', axes)], { keepdims: { i: keep } });

/** Population variance E[(x − mean)²] (ddof 0), as Keras' TF backend (tf.math.reduce_variance). */
function variance(r: Reduction): string {
  const { g } = r.ctx;
  const mean = g.op('ReduceMean', [r.x.name], { axes: { ints: r.axes }, keepdims: { i: 1 } });
  const centered = g.op('Sub', [r.x.name, mean]);
  return g.op('ReduceMean', [g.op('Mul', [centered, centered])], {
    axes: { ints: r.axes },
    keepdims: { i: r.keep },
  });
}

registerOp(
  'Sum',
  reduction([], (r) => sum(r)),
);
registerOp('Mean', reduction([], withAttr('ReduceMean')));
registerOp(
  ['Max', 'Amax'],
  reduction(['initial'], (r) => {
    if (r.ctx.op.config.initial != null) unsupportedOp(r.ctx, 'initial');
    return withAttr('ReduceMax')(r);
  }),
);
registerOp(
  ['Min', 'Amin'],
  reduction(['initial'], (r) => {
    if (r.ctx.op.config.initial != null) unsupportedOp(r.ctx, 'initial');
    return withAttr('ReduceMin')(r);
  }),
);
registerOp('Prod', reduction([], withAttr('ReduceProd')));
registerOp('Logsumexp', reduction([], withAttr('ReduceLogSumExp')));
registerOp('Var', reduction([], variance));
registerOp(
  'Std',
  reduction([], (r) => r.ctx.g.op('Sqrt', [variance(r)])),
);
registerOp(
  'Ptp',
  reduction([], (r) => r.ctx.g.op('Sub', [withAttr('ReduceMax')(r), withAttr('ReduceMin')(r)])),
);
registerOp(
  'Any',
  reduction(
    [],
    (r) => r.ctx.g.op('Greater', [withAttr('ReduceMax')({ ...r, x: { ...r.x, name: notZero(r) } }), zero(r)]),
    true,
  ),
);
registerOp(
  'All',
  reduction(
    [],
    (r) => r.ctx.g.op('Greater', [withAttr('ReduceMin')({ ...r, x: { ...r.x, name: notZero(r) } }), zero(r)]),
    true,
  ),
);
registerOp(
  'CountNonzero',
  reduction([], (r) => sum(r, notZero(r))),
);

function notZero(r: Reduction): string {
  return r.ctx.g.op('Cast', [floatToBool(r.ctx, r.x.name)], { to: { i: ONNX_FLOAT } });
}

function zero(r: Reduction): string {
  return r.ctx.g.constFloat('zero', [], [0]);
}

/** argmax/argmin over one feature axis (first index on ties, as NumPy); `axis=None` flattens the batch: refused. */
function argReduce(type: 'ArgMax' | 'ArgMin') {
  return (ctx: OpContext): Sym => {
    const cfg = opConfig(ctx, ['axis', 'keepdims']);
    onlyArguments(ctx, ['x']);
    const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
    const [axis] = featureAxes(ctx, cfg.axis, x.shape.length);
    if (Array.isArray(cfg.axis)) unsupportedOp(ctx, `axis ${JSON.stringify(cfg.axis)}`);
    const keepdims = cfg.keepdims === true;
    const index = ctx.g.op(type, [x.name], { axis: { i: axis }, keepdims: { i: keepdims ? 1 : 0 } });
    return {
      name: ctx.g.op('Cast', [index], { to: { i: ONNX_FLOAT } }),
      shape: reducedShape(x.shape, [axis], keepdims),
    };
  };
}
registerOp('Argmax', argReduce('ArgMax'));
registerOp('Argmin', argReduce('ArgMin'));
