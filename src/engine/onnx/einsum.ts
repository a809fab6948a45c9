import type { GraphBuilder } from './graph-builder.js';

/** A graph tensor with its shape (`null` for an axis known only at run time). */
export interface EinsumOperand {
  name: string;
  shape: (number | null)[];
}

/**
 * `einsum(equation, a, b)` as ONNX nodes. onnxruntime's Einsum kernel runs a two-operand product several times
 * slower than MatMul and splits it poorly over threads (half of a small transformer's time), so the product is
 * written as Transpose → Reshape → MatMul → Reshape → Transpose whenever the equation is a plain tensor
 * contraction: every letter at most once per term, each input letter either shared or in the output, shared
 * letters of the output (batch axes) of one size in both, and at most one axis of unknown size merged in each
 * Reshape. Anything else (one-operand sums, diagonals, broadcasting) stays an Einsum node.
 * `equation` may start or end with `...` in the forms Keras' EinsumDense takes.
 */
export function einsum(g: GraphBuilder, equation: string, a: EinsumOperand, b: EinsumOperand): string {
  const terms = expandEllipsis(equation.replace(/\s+/g, ''), a.shape.length, b.shape.length);
  const plan = terms && contraction(terms, a, b);
  return (plan && matmulForm(g, plan)) ?? g.op('Einsum', [a.name, b.name], { equation: { s: equation } });
}

interface Terms {
  a: string;
  b: string;
  out: string;
}

/** Letters for `...`: capitals, which Keras' equations do not use in these forms. */
function expandEllipsis(equation: string, rankA: number, rankB: number): Terms | null {
  const m = /^([a-zA-Z.]*),([a-zA-Z.]*)->([a-zA-Z.]*)$/.exec(equation);
  if (!m) return null;
  const [, a, b, out] = m;
  if (!a.includes('...') && !b.includes('...') && !out.includes('...')) return { a, b, out };
  if (b.includes('...') || !a.includes('...') || !out.includes('...')) return null;
  const elided = rankA - (a.length - 3);
  if (elided < 0 || /[A-Z]/.test(equation)) return null;
  const fill = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, elided);
  if (fill.length !== elided || rankB !== b.length) return null;
  return { a: a.replace('...', fill), b, out: out.replace('...', fill) };
}

interface Side {
  op: EinsumOperand;
  letters: string;
  /** Letters only this operand has (all in the output). */
  free: string[];
}

interface Plan {
  batch: string[];
  contract: string[];
  left: Side;
  right: Side;
  out: string;
  sizes: Map<string, number | null>;
}

const repeats = (s: string) => new Set(s).size !== s.length;

function contraction(t: Terms, a: EinsumOperand, b: EinsumOperand): Plan | null {
  if (t.a.length !== a.shape.length || t.b.length !== b.shape.length) return null;
  if (repeats(t.a) || repeats(t.b) || repeats(t.out)) return null;
  const sizes = new Map<string, number | null>();
  const note = (letters: string, shape: (number | null)[]) => {
    for (let i = 0; i < letters.length; i++) {
      const known = sizes.get(letters[i]);
      const size = shape[i];
      if (known === undefined) sizes.set(letters[i], size);
      else if (known !== size) return false;
    }
    return true;
  };
  if (!note(t.a, a.shape) || !note(t.b, b.shape)) return null;
  const inA = (c: string) => t.a.includes(c);
  const inB = (c: string) => t.b.includes(c);
  const inOut = (c: string) => t.out.includes(c);
  if ([...t.out].some((c) => !inA(c) && !inB(c))) return null;
  if ([...t.a].some((c) => !inB(c) && !inOut(c)) || [...t.b].some((c) => !inA(c) && !inOut(c))) return null;
  const batch = [...t.out].filter((c) => inA(c) && inB(c));
  const contract = [...t.a].filter((c) => inB(c) && !inOut(c));
  const freeA = [...t.out].filter((c) => inA(c) && !inB(c));
  const freeB = [...t.out].filter((c) => inB(c) && !inA(c));
  let left: Side = { op: a, letters: t.a, free: freeA };
  let right: Side = { op: b, letters: t.b, free: freeB };
  // The operand whose letters come first in the output goes on the left: no transpose after the product.
  const first = (s: Side) => (s.free.length ? t.out.indexOf(s.free[0]) : Number.POSITIVE_INFINITY);
  if (first(right) < first(left)) [left, right] = [right, left];
  return { batch, contract, left, right, out: t.out, sizes };
}

const product = (sizes: (number | null)[]) =>
  sizes.some((s) => s === null) ? null : sizes.reduce<number>((x, s) => x * (s as number), 1);

/** Reshape dims: `kept` leading axes as they are (`0`), then `sizes`; null when two are unknown (one may be -1). */
function target(kept: number, sizes: (number | null)[]): number[] | null {
  if (sizes.filter((s) => s === null).length > 1) return null;
  return [...Array(kept).fill(0), ...sizes.map((s) => s ?? -1)];
}

const oneLetterEach = (groups: string[][]) => groups.every((letters) => letters.length === 1);

/** The Reshape merging each group of letters into one axis: `[]` when each group is one letter (nothing to do). */
function merge(kept: number, groups: string[][], size: (c: string) => number | null): number[] | null {
  if (oneLetterEach(groups)) return [];
  return target(
    kept,
    groups.map((letters) => product(letters.map(size))),
  );
}

/** The Reshape back from merged axes to one axis per letter (as {@link merge}: `[]` for nothing to do). */
function split(kept: number, groups: string[][], size: (c: string) => number | null): number[] | null {
  return oneLetterEach(groups) ? [] : target(kept, groups.flat().map(size));
}

function transposed(g: GraphBuilder, name: string, from: string, to: string[]): string {
  const perm = to.map((c) => from.indexOf(c));
  return perm.every((p, i) => p === i) ? name : g.op('Transpose', [name], { perm: { ints: perm } });
}

function reshaped(g: GraphBuilder, name: string, dims: number[]): string {
  return dims.length === 0 ? name : g.op('Reshape', [name, g.constInt64('einsum_shape', dims)]);
}

/** The MatMul form of a contraction, or null when a Reshape it needs cannot be written. */
function matmulForm(g: GraphBuilder, p: Plan): string | null {
  const size = (c: string) => p.sizes.get(c) ?? null;
  const { batch, contract, left, right } = p;
  // Without batch axes the left operand keeps its own axes (MatMul broadcasts a 2-D right operand over them).
  const keepLeftAxes = batch.length === 0 && left.free.length > 0;
  const leftDims = keepLeftAxes
    ? merge(left.free.length, [contract], size)
    : merge(batch.length, [left.free, contract], size);
  const rightDims = merge(batch.length, [contract, right.free], size);
  const outDims = keepLeftAxes
    ? split(left.free.length, [right.free], size)
    : split(batch.length, [left.free, right.free], size);
  if (!leftDims || !rightDims || !outDims) return null;
  const x = reshaped(
    g,
    transposed(g, left.op.name, left.letters, [...batch, ...left.free, ...contract]),
    leftDims,
  );
  const y = reshaped(
    g,
    transposed(g, right.op.name, right.letters, [...batch, ...contract, ...right.free]),
    rightDims,
  );
  const z = reshaped(g, g.op('MatMul', [x, y]), outDims);
  return transposed(g, z, [...batch, ...left.free, ...right.free].join(''), [...p.out]);
}
