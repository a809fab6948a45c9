import type { LayerSpec, ModelDescription, Shape } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import type { Sym } from '../layers/registry.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';

/** A tensor passed to an op, with the Keras dtype the file records for it (null where it records none). */
export interface TensorArg {
  tensor: Sym;
  dtype: string | null;
}

/** A stored op argument: a tensor, or a JSON constant (nested lists, `__slice__` objects …) with tensors inside. */
export type OpArg = TensorArg | number | boolean | string | null | OpArg[] | { [key: string]: OpArg };

/**
 * One call of a Keras op (`keras.ops.*`, recorded in a functional graph, or a tf.keras TF op translated at load):
 * its positional and keyword call arguments in order, constants included, and the op's own config (`axis` …).
 */
export interface OpContext {
  g: GraphBuilder;
  op: LayerSpec;
  model: ModelDescription;
  args: OpArg[];
  kwargs: Record<string, OpArg>;
}

export type OpConverter = (ctx: OpContext) => Sym | Sym[];

const ops = new Map<string, OpConverter>();

/** Registers a converter for Keras op classes (`Add`, `Sum` …: the names in keras/src/ops/*.py). */
export function registerOp(classNames: string | string[], converter: OpConverter): void {
  for (const name of Array.isArray(classNames) ? classNames : [classNames]) ops.set(name, converter);
}

export function opConverterFor(opClass: string): OpConverter | undefined {
  return ops.get(opClass);
}

export function supportedOpClasses(): string[] {
  return [...ops.keys()].sort();
}

/** Refuses what an op converter does not implement, naming the op and what it met. */
export function unsupportedOp(ctx: OpContext, what: string): never {
  throw new EngineError('ENGINE_UNSUPPORTED', `op ${ctx.op.name} (${ctx.op.className}): ${what}`);
}

export const isTensorArg = (v: unknown): v is TensorArg =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'tensor' in v && 'dtype' in v;

/** The stored argument: positional `index`, else keyword `name`, else `fallback` (undefined when absent). */
export function argument(ctx: OpContext, index: number, name: string, fallback?: OpArg): OpArg | undefined {
  if (index < ctx.args.length) return ctx.args[index];
  if (Object.hasOwn(ctx.kwargs, name)) return ctx.kwargs[name];
  return fallback;
}

/** Refuses positional or keyword arguments beyond those the converter reads. */
export function onlyArguments(ctx: OpContext, names: readonly string[]): void {
  if (ctx.args.length > names.length) unsupportedOp(ctx, `${ctx.args.length} positional arguments`);
  for (const key of Object.keys(ctx.kwargs)) {
    if (!names.includes(key)) unsupportedOp(ctx, `call argument "${key}" is not understood`);
  }
}

/**
 * The op's config (its constructor arguments as Keras stores them): refuses keys the converter does not read,
 * so a newer Keras option is never ignored.
 */
export function opConfig(ctx: OpContext, known: readonly string[]): Record<string, unknown> {
  const config = ctx.op.config;
  for (const [key, value] of Object.entries(config)) {
    if (key === 'name' || key === 'trainable' || key === 'dtype' || known.includes(key)) continue;
    if (value === null || value === undefined) continue;
    unsupportedOp(ctx, `config "${key}"=${JSON.stringify(value)} is not understood`);
  }
  return config;
}

/** A config or argument value as an integer axis of a rank-`rank` tensor (negative counts from the end). */
export function axisOf(ctx: OpContext, value: unknown, rank: number, what = 'axis'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -rank || value >= rank) {
    unsupportedOp(ctx, `${what} ${JSON.stringify(value)} on a rank-${rank} tensor`);
  }
  return value < 0 ? value + rank : value;
}

/** Axes that must leave the batch axis alone: refuses axis 0 (a result that would depend on the batching). */
export function featureAxes(ctx: OpContext, value: unknown, rank: number, what = 'axis'): number[] {
  const list = Array.isArray(value) ? value : [value];
  const all = value === null || value === undefined;
  const axes = all ? [0] : list.map((a) => axisOf(ctx, a, rank, what));
  if (axes.includes(0)) {
    unsupportedOp(
      ctx,
      `${what} ${JSON.stringify(value ?? null)} includes the batch axis (the result would depend on how records are batched)`,
    );
  }
  return [...new Set(axes)].sort((a, b) => a - b);
}

export type { Shape };
