import type { Shape } from '../../keras/model.js';
import type { Sym } from '../layers/registry.js';
import { isTensorArg, type OpArg, type OpContext, unsupportedOp } from './registry.js';

/** A numeric constant written in the file (a number, a boolean, or nested lists of them) as dims + values. */
export function constantArray(value: OpArg): { dims: number[]; data: number[] } | null {
  if (typeof value === 'number') return { dims: [], data: [value] };
  if (isNumpyConstant(value)) return constantArray(value.config.value);
  if (typeof value === 'boolean') return { dims: [], data: [value ? 1 : 0] };
  if (!Array.isArray(value) || value.length === 0) return null;
  const parts = value.map(constantArray);
  const first = parts[0];
  if (!first || parts.some((p) => !p || p.dims.join() !== first.dims.join())) return null;
  return {
    dims: [value.length, ...first.dims],
    data: parts.flatMap((p) => (p as { data: number[] }).data),
  };
}

/** A NumPy array in the call (`x + np.array([...])`), as Keras 3 serializes it. */
function isNumpyConstant(value: OpArg): value is { class_name: '__numpy__'; config: { value: OpArg } } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isTensorArg(value)) return false;
  const config = value.config;
  return (
    value.class_name === '__numpy__' &&
    typeof config === 'object' &&
    config !== null &&
    !Array.isArray(config) &&
    'value' in config
  );
}

/** An operand of an elementwise op: a tensor as it is, a constant as an ONNX float constant (shape without batch). */
export interface Operand extends Sym {
  constant: boolean;
}

export function operand(ctx: OpContext, value: OpArg | undefined, what: string, rank = 0): Operand {
  if (isTensorArg(value)) return { ...value.tensor, constant: false };
  const array = value === undefined ? null : constantArray(value);
  if (!array) unsupportedOp(ctx, `${what} ${JSON.stringify(value ?? null)} is neither a tensor nor a number`);
  // Leading 1s up to `rank` broadcast alike, and onnxruntime broadcasts a constant of the tensor's rank fast where
  // a lower-rank one (`x + 3` as a 0-d constant) on an (N, C, 1, 1) tensor went element by element: 37x slower.
  const dims = [...Array(Math.max(0, rank - array.dims.length)).fill(1), ...array.dims];
  const name = ctx.g.constFloat('const', dims, array.data);
  return { name, shape: dims, constant: true };
}

/** The highest rank among the tensor arguments (0 when there is none). */
export function tensorRank(values: (OpArg | undefined)[]): number {
  return Math.max(0, ...values.map((v) => (isTensorArg(v) ? v.tensor.shape.length : 0)));
}

/** A tensor argument (constants refused where the op needs a tensor). */
export function tensorArg(ctx: OpContext, value: OpArg | undefined, what: string): Sym {
  if (!isTensorArg(value)) unsupportedOp(ctx, `${what} ${JSON.stringify(value ?? null)} is not a tensor`);
  return value.tensor;
}

/** The recorded Keras dtype of a tensor argument (null for constants and where the file records none). */
export function dtypeOf(value: OpArg | undefined): string | null {
  return isTensorArg(value) ? value.dtype : null;
}

function broadcastDim(ctx: OpContext, dims: (number | null)[]): number | null {
  const known = [...new Set(dims.filter((d): d is number => d !== null && d !== 1))];
  if (known.length > 1)
    unsupportedOp(ctx, `operands of shapes that do not broadcast (${known.join(' vs ')})`);
  if (known.length === 1) return known[0];
  return dims.some((d) => d === null) ? null : 1;
}

/**
 * NumPy broadcasting of operands as Keras does it, where the batch axis stays the batch axis: tensors of
 * different ranks (their batch axes would not line up) and constants that reach the batch axis with a size
 * other than 1 are refused.
 */
export function broadcastShape(ctx: OpContext, operands: Operand[]): Shape {
  const tensors = operands.filter((o) => !o.constant);
  if (tensors.length === 0) unsupportedOp(ctx, 'no tensor operand');
  const rank = tensors[0].shape.length;
  if (tensors.some((t) => t.shape.length !== rank)) {
    unsupportedOp(
      ctx,
      `tensors of ranks ${tensors.map((t) => t.shape.length).join(' and ')} (their batch axes would not line up)`,
    );
  }
  for (const c of operands.filter((o) => o.constant)) {
    if (c.shape.length > rank || (c.shape.length === rank && c.shape[0] !== 1)) {
      unsupportedOp(ctx, `a constant of shape [${c.shape}] would broadcast over the batch axis`);
    }
  }
  // An axis a lower-rank operand lacks counts as 1; an open axis (null) stays open (`?? 1` made it 1).
  return Array.from({ length: rank }, (_, i) =>
    broadcastDim(
      ctx,
      operands.map((o) => {
        const j = i - (rank - o.shape.length);
        return j < 0 ? 1 : o.shape[j];
      }),
    ),
  );
}

/** 1 for float32 and ONNX's 9 for bool. */
export const ONNX_FLOAT = 1;
export const ONNX_BOOL = 9;
export const ONNX_INT64 = 7;

/** Keras booleans travel as float 0/1 through the graph: a comparison's bool result cast back to float. */
export function boolToFloat(ctx: OpContext, name: string): string {
  return ctx.g.op('Cast', [name], { to: { i: ONNX_FLOAT } });
}

/** A float tensor as a bool tensor (non-zero is true, as NumPy and TF cast). */
export function floatToBool(ctx: OpContext, name: string): string {
  return ctx.g.op('Cast', [name], { to: { i: ONNX_BOOL } });
}
