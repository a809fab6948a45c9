import type { TensorRef } from '../../keras/model.js';
import type { LayerContext, Sym } from './registry.js';

const isRef = (v: unknown): v is TensorRef =>
  typeof v === 'object' && v !== null && typeof (v as TensorRef).layer === 'string' && 'nodeIndex' in v;

/** The tensors a keyword value holds, flattened in order (a tensor, or a list of tensors and nulls). */
function refsOf(value: unknown): TensorRef[] {
  if (isRef(value)) return [value];
  return Array.isArray(value) ? value.flatMap(refsOf) : [];
}

/**
 * The tensors of the keyword arguments `keys` of one call, in key order: the compiler appends them to the
 * call's inputs after the positional tensors (MultiHeadAttention's `value=`, `key=`, `attention_mask=`).
 */
export function keywordTensorRefs(kwargs: Record<string, unknown>, keys: readonly string[]): TensorRef[] {
  return keys.flatMap((key) => refsOf(kwargs[key]));
}

/** One tensor of a call with its Keras mask. */
export interface CallTensor {
  sym: Sym;
  mask: Sym | null;
}

/**
 * Splits a converter's `inputs` back into the positional tensors and, per keyword of `keys`, the tensors it
 * held (a keyword that held `[t, None]` gives `[tensor, null]`), undoing {@link keywordTensorRefs}.
 */
export function splitCallInputs(
  ctx: Pick<LayerContext, 'inputs' | 'masks' | 'kwargs'>,
  keys: readonly string[],
): { positional: CallTensor[]; keyword: Record<string, (CallTensor | null)[]> } {
  const all = ctx.inputs.map((sym, i) => ({ sym, mask: ctx.masks[i] ?? null }));
  const appended = keywordTensorRefs(ctx.kwargs, keys).length;
  const positional = all.slice(0, all.length - appended);
  let next = positional.length;
  const keyword: Record<string, (CallTensor | null)[]> = {};
  const take = (value: unknown): (CallTensor | null)[] => {
    if (isRef(value)) return [all[next++]];
    if (Array.isArray(value)) return value.flatMap((v) => (v === null || v === undefined ? [null] : take(v)));
    return [];
  };
  for (const key of keys) {
    const value = ctx.kwargs[key];
    if (value !== undefined && value !== null) keyword[key] = take(value);
  }
  return { positional, keyword };
}
