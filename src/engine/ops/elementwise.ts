import type { Sym } from '../layers/registry.js';
import {
  boolToFloat,
  broadcastShape,
  dtypeOf,
  floatToBool,
  type Operand,
  operand,
  tensorArg,
  tensorRank,
} from './operands.js';
import { argument, type OpContext, onlyArguments, opConfig, registerOp, unsupportedOp } from './registry.js';

/**
 * Elementwise Keras ops (keras/src/ops/numpy.py, math.py), with Python constants on either side exactly where
 * Keras put them (`2 - x` is `Subtract(2.0, x)`). Formulas follow Keras' TensorFlow backend where ONNX has no
 * single operator (floor modulo, log1p …). Booleans are float 0/1 in the graph.
 */

type Emit = (ctx: OpContext, xs: string[]) => string;

const c = (ctx: OpContext, value: number) => ctx.g.constFloat('c', [], [value]);

function binary(emit: Emit, resultIsBool = false) {
  return (ctx: OpContext): Sym => {
    opConfig(ctx, []);
    onlyArguments(ctx, ['x1', 'x2']);
    const args = [argument(ctx, 0, 'x1'), argument(ctx, 1, 'x2')];
    const rank = tensorRank(args);
    const xs: Operand[] = [operand(ctx, args[0], 'x1', rank), operand(ctx, args[1], 'x2', rank)];
    const shape = broadcastShape(ctx, xs);
    const out = emit(
      ctx,
      xs.map((x) => x.name),
    );
    return { name: resultIsBool ? boolToFloat(ctx, out) : out, shape };
  };
}

function unary(emit: Emit, resultIsBool = false) {
  return (ctx: OpContext): Sym => {
    opConfig(ctx, []);
    onlyArguments(ctx, ['x']);
    const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
    const out = emit(ctx, [x.name]);
    return { name: resultIsBool ? boolToFloat(ctx, out) : out, shape: x.shape };
  };
}

const onnx =
  (type: string): Emit =>
  (ctx, xs) =>
    ctx.g.op(type, xs);

const compare =
  (type: string): Emit =>
  (ctx, xs) =>
    ctx.g.op(type, xs);

const logical =
  (type: string): Emit =>
  (ctx, xs) =>
    ctx.g.op(
      type,
      xs.map((x) => floatToBool(ctx, x)),
    );

/** TF's floormod: fmod, then moved into the divisor's sign (tf.math.floormod as Keras' `%`). */
const floorMod: Emit = (ctx, [x, y]) => {
  const { g } = ctx;
  const r = g.op('Mod', [x, y], { fmod: { i: 1 } });
  const zero = c(ctx, 0);
  const signsDiffer = g.op('Xor', [g.op('Less', [r, zero]), g.op('Less', [y, zero])]);
  const fix = g.op('And', [g.op('Not', [g.op('Equal', [r, zero])]), signsDiffer]);
  return g.op('Where', [fix, g.op('Add', [r, y]), r]);
};

/** log(1 + x) accurate for tiny x (u = 1 + x; x·log(u)/(u − 1), or x where u rounds to 1). */
const log1p: Emit = (ctx, [x]) => {
  const { g } = ctx;
  const u = g.op('Add', [x, c(ctx, 1)]);
  const um1 = g.op('Sub', [u, c(ctx, 1)]);
  const ratio = g.op('Div', [g.op('Mul', [x, g.op('Log', [u])]), um1]);
  return g.op('Where', [g.op('Equal', [um1, c(ctx, 0)]), x, ratio]);
};

/** exp(x) − 1 accurate for tiny x (u = exp(x); (u − 1)·x/log(u), x where u rounds to 1, −1 where u is 0). */
const expm1: Emit = (ctx, [x]) => {
  const { g } = ctx;
  const u = g.op('Exp', [x]);
  const um1 = g.op('Sub', [u, c(ctx, 1)]);
  const ratio = g.op('Div', [g.op('Mul', [um1, x]), g.op('Log', [u])]);
  const inner = g.op('Where', [g.op('Equal', [u, c(ctx, 0)]), c(ctx, -1), ratio]);
  const big = g.op('Where', [g.op('Equal', [u, g.op('Add', [u, c(ctx, 1)])]), u, inner]);
  return g.op('Where', [g.op('Equal', [um1, c(ctx, 0)]), x, big]);
};

const divideNoNan: Emit = (ctx, [x, y]) => {
  const { g } = ctx;
  const zero = c(ctx, 0);
  return g.op('Where', [g.op('Equal', [y, zero]), zero, g.op('Div', [x, y])]);
};

/** Keras' TF logaddexp: max + log1p(exp(−|x − y|)), x + y where the difference is NaN (both infinite). */
const logaddexp: Emit = (ctx, [x, y]) => {
  const { g } = ctx;
  const delta = g.op('Sub', [x, y]);
  const soft = log1p(ctx, [g.op('Exp', [g.op('Neg', [g.op('Abs', [delta])])])]);
  const value = g.op('Add', [g.op('Max', [x, y]), soft]);
  return g.op('Where', [g.op('IsNaN', [delta]), g.op('Add', [x, y]), value]);
};

const trunc: Emit = (ctx, [x]) =>
  ctx.g.op('Where', [ctx.g.op('Less', [x, c(ctx, 0)]), ctx.g.op('Ceil', [x]), ctx.g.op('Floor', [x])]);

const cbrt: Emit = (ctx, [x]) =>
  ctx.g.op('Mul', [ctx.g.op('Sign', [x]), ctx.g.op('Pow', [ctx.g.op('Abs', [x]), c(ctx, 1 / 3)])]);

const scaledLog =
  (base: number): Emit =>
  (ctx, [x]) =>
    ctx.g.op('Div', [ctx.g.op('Log', [x]), ctx.g.op('Log', [c(ctx, base)])]);

registerOp('Add', binary(onnx('Add')));
registerOp('Subtract', binary(onnx('Sub')));
registerOp('Multiply', binary(onnx('Mul')));
registerOp(['Divide', 'TrueDivide'], binary(onnx('Div')));
registerOp('DivideNoNan', binary(divideNoNan));
registerOp(
  'FloorDivide',
  binary((ctx, xs) => ctx.g.op('Floor', [ctx.g.op('Div', xs)])),
);
registerOp('Mod', binary(floorMod));
registerOp(
  'Fmod',
  binary((ctx, xs) => ctx.g.op('Mod', xs, { fmod: { i: 1 } })),
);
registerOp('Power', binary(onnx('Pow')));
registerOp('Maximum', binary(onnx('Max')));
registerOp('Minimum', binary(onnx('Min')));
registerOp('Logaddexp', binary(logaddexp));
registerOp(
  'Hypot',
  binary((ctx, [x, y]) =>
    ctx.g.op('Sqrt', [ctx.g.op('Add', [ctx.g.op('Mul', [x, x]), ctx.g.op('Mul', [y, y])])]),
  ),
);
registerOp('Equal', binary(compare('Equal'), true));
registerOp(
  'NotEqual',
  binary((ctx, xs) => ctx.g.op('Not', [ctx.g.op('Equal', xs)]), true),
);
registerOp('Less', binary(compare('Less'), true));
registerOp('LessEqual', binary(compare('LessOrEqual'), true));
registerOp('Greater', binary(compare('Greater'), true));
registerOp('GreaterEqual', binary(compare('GreaterOrEqual'), true));
registerOp('LogicalAnd', binary(logical('And'), true));
registerOp('LogicalOr', binary(logical('Or'), true));
registerOp('LogicalXor', binary(logical('Xor'), true));

registerOp('LogicalNot', unary(logical('Not'), true));
for (const [cls, type] of [
  ['Abs', 'Abs'],
  ['Absolute', 'Abs'],
  ['Fabs', 'Abs'],
  ['Negative', 'Neg'],
  ['Exp', 'Exp'],
  ['Log', 'Log'],
  ['Sqrt', 'Sqrt'],
  ['Reciprocal', 'Reciprocal'],
  ['Sin', 'Sin'],
  ['Cos', 'Cos'],
  ['Tan', 'Tan'],
  ['Arcsin', 'Asin'],
  ['Arccos', 'Acos'],
  ['Arctan', 'Atan'],
  ['Sinh', 'Sinh'],
  ['Cosh', 'Cosh'],
  ['Tanh', 'Tanh'],
  ['Arcsinh', 'Asinh'],
  ['Arccosh', 'Acosh'],
  ['Arctanh', 'Atanh'],
  ['Floor', 'Floor'],
  ['Ceil', 'Ceil'],
  ['Sign', 'Sign'],
  ['Erf', 'Erf'],
] as const) {
  registerOp(cls, unary(onnx(type)));
}
registerOp(
  'Square',
  unary((ctx, [x]) => ctx.g.op('Mul', [x, x])),
);
registerOp(
  'Rsqrt',
  unary((ctx, [x]) => ctx.g.op('Reciprocal', [ctx.g.op('Sqrt', [x])])),
);
registerOp('Log1p', unary(log1p));
registerOp('Expm1', unary(expm1));
registerOp('Log2', unary(scaledLog(2)));
registerOp('Log10', unary(scaledLog(10)));
registerOp(
  'Exp2',
  unary((ctx, [x]) => ctx.g.op('Pow', [c(ctx, 2), x])),
);
registerOp('Trunc', unary(trunc));
registerOp('Cbrt', unary(cbrt));
registerOp(
  'Isnan',
  unary((ctx, [x]) => ctx.g.op('IsNaN', [x]), true),
);
registerOp(
  'Isinf',
  unary((ctx, [x]) => ctx.g.op('IsInf', [x]), true),
);
registerOp(
  'Isfinite',
  unary(
    (ctx, [x]) => ctx.g.op('Not', [ctx.g.op('Or', [ctx.g.op('IsNaN', [x]), ctx.g.op('IsInf', [x])])]),
    true,
  ),
);

/** `~x` (BitwiseInvert/BitwiseNot): logical not on booleans; integer bit inversion is refused. */
registerOp(['BitwiseInvert', 'BitwiseNot'], (ctx) => {
  const dtype = dtypeOf(argument(ctx, 0, 'x'));
  if (dtype !== 'bool')
    unsupportedOp(ctx, `bitwise inversion of a ${dtype ?? 'tensor of unrecorded dtype'} (only booleans)`);
  return unary(logical('Not'), true)(ctx);
});

/** `round(x, decimals)`: half to even as TF and NumPy; decimals scale by 10^d as Keras' TF backend does. */
registerOp('Round', (ctx) => {
  const { decimals = 0 } = opConfig(ctx, ['decimals']);
  onlyArguments(ctx, ['x']);
  if (typeof decimals !== 'number' || !Number.isInteger(decimals))
    unsupportedOp(ctx, `decimals ${JSON.stringify(decimals)}`);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const { g } = ctx;
  if (decimals === 0) return { name: g.op('Round', [x.name]), shape: x.shape };
  const factor = c(ctx, 10 ** Math.abs(decimals));
  const [into, back] = decimals > 0 ? ['Mul', 'Div'] : ['Div', 'Mul'];
  return { name: g.op(back, [g.op('Round', [g.op(into, [x.name, factor])]), factor]), shape: x.shape };
});

/** `clip(x, x_min, x_max)` with the bounds in the config (Keras 3 stores them there). */
registerOp('Clip', (ctx) => {
  const { x_min: lo, x_max: hi } = opConfig(ctx, ['x_min', 'x_max']);
  onlyArguments(ctx, ['x']);
  if (typeof lo !== 'number' || typeof hi !== 'number')
    unsupportedOp(ctx, `bounds ${JSON.stringify([lo, hi])}`);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  // TF's clip_by_value is min(max(x, lo), hi): with lo > hi every value is hi.
  const name = ctx.g.op('Min', [ctx.g.op('Max', [x.name, c(ctx, lo)]), c(ctx, hi)]);
  return { name, shape: x.shape };
});
