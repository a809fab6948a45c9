import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { Sym } from './registry.js';

const BOOL = 9;

/** A Keras mask as ONNX bool (`ops.cast(mask, "bool")`: any non-zero value is kept). */
export function toBool(g: GraphBuilder, mask: string): string {
  return g.op('Cast', [mask], { to: { i: BOOL } });
}

export function unsqueeze(g: GraphBuilder, x: string, axes: number[]): string {
  return g.op('Unsqueeze', [x, g.constInt64('axes', axes)]);
}

export function and(g: GraphBuilder, a: string | null, b: string): string {
  return a === null ? b : g.op('And', [a, b]);
}

/**
 * The causal mask `[1, T, S]` of Keras (`row_index >= col_index`: query position i attends to key positions
 * j <= i, counted from the start of both sequences), with T and S read from axis 1 of `query` and `value`.
 */
export function causalMask(g: GraphBuilder, query: Sym, value: Sym): string {
  const [rows, cols] = positions(g, query, value);
  return unsqueeze(g, g.op('GreaterOrEqual', [rows, cols]), [0]);
}

/** Keras 3's sliding-window mask `[1, T, S]`: `|i - j| < window` (`_compute_sliding_window_mask`). */
export function slidingWindowMask(g: GraphBuilder, query: Sym, value: Sym, window: number): string {
  const [rows, cols] = positions(g, query, value);
  const distance = g.op('Abs', [g.op('Sub', [rows, cols])]);
  return unsqueeze(g, g.op('Less', [distance, g.constInt64('window', [window], [])]), [0]);
}

/** Query positions `[T, 1]` and key positions `[1, S]` (int64), T and S from axis 1 of `query` and `value`. */
function positions(g: GraphBuilder, query: Sym, value: Sym): [string, string] {
  const length = (t: Sym) =>
    g.op('Squeeze', [
      g.op('Slice', [
        g.op('Shape', [t.name]),
        g.constInt64('one', [1]),
        g.constInt64('two', [2]),
        g.constInt64('zero', [0]),
      ]),
      g.constInt64('axes0', [0]),
    ]);
  const zero = g.constInt64('zero_s', [0], []);
  const step = g.constInt64('one_s', [1], []);
  const rows = g.op('Range', [zero, length(query), step]);
  const cols = g.op('Range', [zero, length(value), step]);
  return [unsqueeze(g, rows, [1]), unsqueeze(g, cols, [0])];
}

/** How a masked softmax treats the masked positions, by Keras version and code path. */
export type MaskedSoftmax =
  /** Keras 3 Softmax layer: `where(mask, x, -1e9)`, softmax, then `where(mask, y, 0)`. */
  | 'keras3-layer'
  /** Keras 3 `ops.dot_product_attention` (TF backend): `where(mask, x, -0.7 * 3.38953e38)`, softmax. */
  | 'keras3-fused'
  /** tf-keras Softmax layer: `x + (1 - mask) * -1e9`, softmax. */
  | 'tf-keras-add'
  /** tf-keras Softmax with `robust_masking`: `where(mask > 0.5, x, -1e9)`, softmax. */
  | 'tf-keras-robust';

/**
 * Softmax of `x` over its last `k` axes (Keras' `Softmax(axis=norm_axes)`), masked where `mask` (bool, or a
 * float for tf-keras' additive form) broadcasts. Several axes are flattened into one for ONNX Softmax.
 */
export function maskedSoftmax(
  g: GraphBuilder,
  x: string,
  rank: number,
  k: number,
  mask: string | null,
  kind: MaskedSoftmax,
  maskIsFloat: boolean,
): string {
  let logits = x;
  let boolMask = mask;
  if (mask !== null) {
    if (kind === 'tf-keras-add') {
      const m = maskIsFloat ? mask : g.op('Cast', [mask], { to: { i: 1 } });
      const adder = g.op('Mul', [
        g.op('Sub', [g.constFloat('one', [], [1]), m]),
        g.constFloat('neg_1e9', [], [-1e9]),
      ]);
      logits = g.op('Add', [x, adder]);
    } else {
      if (maskIsFloat) boolMask = g.op('Greater', [mask, g.constFloat('half', [], [0.5])]);
      const fill = kind === 'keras3-fused' ? Math.fround(-0.7 * 3.38953e38) : -1e9;
      logits = g.op('Where', [boolMask as string, x, g.constFloat('large_negative', [], [fill])]);
    }
  }
  let probs: string;
  if (k === 1) {
    probs = g.op('Softmax', [logits], { axis: { i: -1 } });
  } else {
    const flat = g.op('Reshape', [logits, g.constInt64('shape', [...Array(rank - k).fill(0), -1])]);
    probs = g.op('Reshape', [g.op('Softmax', [flat], { axis: { i: -1 } }), g.op('Shape', [logits])]);
  }
  if (mask !== null && kind === 'keras3-layer') {
    probs = g.op('Where', [boolMask as string, probs, g.constFloat('zero_f', [], [0])]);
  }
  return probs;
}
