import type { Sym } from '../layers/registry.js';
import { ONNX_FLOAT, tensorArg } from './operands.js';
import { argument, type OpContext, onlyArguments, opConfig, registerOp, unsupportedOp } from './registry.js';

/**
 * Casts and identities (keras/src/ops/core.py, numpy.py). Values travel as float32: a cast to an integer or
 * bool type goes through that ONNX type and back, so it truncates (toward zero) or tests non-zero as TF does;
 * float16/bfloat16 round as they would.
 */

const ONNX_TYPES: Readonly<Record<string, number>> = {
  bool: 9,
  int8: 3,
  uint8: 2,
  int16: 5,
  uint16: 4,
  int32: 6,
  uint32: 12,
  int64: 7,
  uint64: 13,
  float16: 10,
  bfloat16: 16,
};

const FLOATS = new Set(['float32', 'float64']);

function dtypeName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const cfg = (value as { config?: { name?: unknown } }).config;
    if (typeof cfg?.name === 'string') return cfg.name;
  }
  return null;
}

function castTo(ctx: OpContext, x: Sym, dtype: unknown): Sym {
  const name = dtypeName(dtype);
  if (name === null || FLOATS.has(name)) return { name: ctx.g.op('Identity', [x.name]), shape: x.shape };
  const type = ONNX_TYPES[name];
  if (type === undefined) unsupportedOp(ctx, `a cast to ${name}`);
  const cast = ctx.g.op('Cast', [x.name], { to: { i: type } });
  return { name: ctx.g.op('Cast', [cast], { to: { i: ONNX_FLOAT } }), shape: x.shape };
}

function single(
  ctx: OpContext,
  config: readonly string[],
  argName = 'x',
): { x: Sym; cfg: Record<string, unknown> } {
  const cfg = opConfig(ctx, config);
  onlyArguments(ctx, [argName]);
  return { x: tensorArg(ctx, argument(ctx, 0, argName), argName), cfg };
}

registerOp(['Cast', 'SaturateCast'], (ctx) => {
  const { x } = single(ctx, []);
  const dtype = ctx.op.config.dtype;
  const name = dtypeName(dtype);
  if (ctx.op.className === 'ops.SaturateCast' && name !== null && !FLOATS.has(name) && name !== 'bool') {
    unsupportedOp(ctx, `a saturating cast to ${name}`);
  }
  return castTo(ctx, x, dtype);
});

registerOp('ConvertToTensor', (ctx) => {
  const { x, cfg } = single(ctx, ['sparse', 'ragged']);
  if (cfg.sparse === true || cfg.ragged === true) unsupportedOp(ctx, 'sparse or ragged tensors');
  return castTo(ctx, x, ctx.op.config.dtype);
});

registerOp(['StopGradient', 'Copy', 'Array'], (ctx) => {
  const { x } = single(ctx, [], ctx.op.className === 'ops.StopGradient' ? 'variable' : 'x');
  return castTo(ctx, x, ctx.op.config.dtype);
});

function filled(ctx: OpContext, x: Sym, value: number): Sym {
  const { g } = ctx;
  const name = g.op('ConstantOfShape', [g.op('Shape', [x.name])], {});
  return { name: g.op('Add', [name, g.constFloat('fill', [], [value])]), shape: x.shape };
}

registerOp('ZerosLike', (ctx) => filled(ctx, single(ctx, []).x, 0));
registerOp('OnesLike', (ctx) => filled(ctx, single(ctx, []).x, 1));
registerOp('FullLike', (ctx) => {
  opConfig(ctx, []);
  onlyArguments(ctx, ['x', 'fill_value']);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const value = argument(ctx, 1, 'fill_value');
  if (typeof value !== 'number') unsupportedOp(ctx, `fill_value ${JSON.stringify(value ?? null)}`);
  return castTo(ctx, filled(ctx, x, value), ctx.op.config.dtype);
});
