import type { Shape } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { onnx } from '../onnx/proto.js';
import type { CellSpec } from './recurrent-cells.js';
import type { Sym } from './registry.js';

/**
 * Emits ONNX RNN/GRU/LSTM ops for Keras recurrent layers, with Keras mask semantics.
 *
 * Masks (keras/src/backend/tensorflow/rnn.py and tf_keras/src/backend.py `rnn`): at a masked step the
 * state is carried over unchanged and the output is the previous step's output (zeros before the first
 * valid step), or zeros when `zero_output_for_mask`. Masked steps therefore never touch the state, so
 * the result equals running the cell on the valid steps alone. We gather each sequence's valid steps to
 * its front (TopK on a key that sorts valid steps first, in time order), run the fused ONNX op with
 * `sequence_lens` = number of valid steps, and gather the outputs back to their time positions
 * (forward-filled for the forward direction, backward-filled for the reverse one). This is exact for any
 * mask, including masks with holes in the middle and left-padded (`pad_sequences` default) inputs.
 */

/** The ONNX `direction` attribute. */
export type Direction = 'forward' | 'reverse' | 'bidirectional';

export interface RecurrentRun {
  /** Per direction, the output sequence `[batch, time, units]` in the input's time order (Keras fill applied). */
  sequences: Sym[];
  /** Per direction, the final states `[h]` or `[h, c]`, each `[batch, units]`. */
  states: Sym[][];
}

const isDefaultActivations = (cell: CellSpec): boolean => {
  const names = cell.activations.map((a) => a.name).join(',');
  return (
    names === (cell.kind === 'RNN' ? 'Tanh' : cell.kind === 'GRU' ? 'Sigmoid,Tanh' : 'Sigmoid,Tanh,Tanh')
  );
};

/** Reverses axis 1 (time) of a tensor. */
export function reverseTime(g: GraphBuilder, x: Sym): Sym {
  const name = g.op('Slice', [
    x.name,
    g.constInt64('rev_start', [-1]),
    g.constInt64('rev_end', [Number.MIN_SAFE_INTEGER]),
    g.constInt64('axis1', [1]),
    g.constInt64('minus_one', [-1]),
  ]);
  return { name, shape: x.shape };
}

function concatWeights(cells: CellSpec[], pick: (c: CellSpec) => Float32Array): Float32Array {
  const parts = cells.map(pick);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

interface Compaction {
  /** `[batch, time]` float mask. */
  mask: string;
  /** Inclusive cumulative sum of the mask over time. */
  cum: string;
  /** Number of valid steps per sequence, float `[batch, 1]`. */
  lens: string;
}

/** Gathers `[B, T, ...]` rows of `data` at per-batch time indices `idx` (`[B, T]` int64). */
function gatherTime(g: GraphBuilder, data: string, idx: string): string {
  const idx3 = g.op('Unsqueeze', [idx, g.constInt64('axis_m1', [-1])]);
  return g.op('GatherND', [data, idx3], { batch_dims: { i: 1 } });
}

/** Moves each sequence's valid steps to its front; returns the compacted input and the bookkeeping. */
function compact(g: GraphBuilder, x: string, mask: string): { x: string; c: Compaction; seqLens: string } {
  const axis1 = g.constInt64('axis1', [1]);
  const ones = g.op('Add', [
    g.op('Mul', [mask, g.constFloat('zero', [], [0])]),
    g.constFloat('one', [], [1]),
  ]);
  const t = g.op('CumSum', [ones, axis1], { exclusive: { i: 1 } });
  // Valid steps score 2^23 - t, masked ones -t: exact float32 integers while T < 2^22.
  const key = g.op('Sub', [g.op('Mul', [mask, g.constFloat('two23', [], [8388608])]), t]);
  const steps = g.op('Slice', [
    g.op('Shape', [mask]),
    g.constInt64('one_i', [1]),
    g.constInt64('two_i', [2]),
  ]);
  const [, order] = g.opN('TopK', [key, steps], 2, { axis: { i: 1 }, largest: { i: 1 }, sorted: { i: 1 } });
  const lens = g.op('ReduceSum', [mask, axis1], { keepdims: { i: 1 } });
  const seqLens = g.op('Cast', [g.op('Squeeze', [lens, axis1])], {
    to: { i: onnx.TensorProto.DataType.INT32 },
  });
  return {
    x: gatherTime(g, x, order),
    c: { mask, cum: g.op('CumSum', [mask, axis1]), lens },
    seqLens,
  };
}

/**
 * Puts compacted outputs `[B, T, H]` back at their time positions: forward direction takes the last valid
 * step at or before t, reverse the first valid step at or after t; zeros where there is none, or at every
 * masked step with `zeroOutput`.
 */
function uncompact(g: GraphBuilder, y: string, c: Compaction, reverse: boolean, zeroOutput: boolean): string {
  const one = g.constFloat('one', [], [1]);
  let idx: string;
  let valid: string;
  if (!reverse) {
    idx = g.op('Max', [g.op('Sub', [c.cum, one]), g.constFloat('zero', [], [0])]);
    valid = g.op('Min', [c.cum, one]);
  } else {
    idx = g.op('Sub', [c.cum, c.mask]); // valid steps strictly before t
    valid = g.op('Min', [g.op('Sub', [c.lens, idx]), one]);
  }
  if (zeroOutput) valid = c.mask;
  const gathered = gatherTime(g, y, g.op('Cast', [idx], { to: { i: onnx.TensorProto.DataType.INT64 } }));
  return g.op('Mul', [gathered, g.op('Unsqueeze', [valid, g.constInt64('axis_m1', [-1])])]);
}

/**
 * Runs one ONNX recurrent op over `x` (`[batch, time, features]`): one cell for `forward`/`reverse`,
 * two (forward, reverse) for `bidirectional`. `initialStates[d]` are the Keras initial states of
 * direction d (`[h]` or `[h, c]`). Sequences come back in the input's time order: a Keras layer with
 * `go_backwards` must still reverse them.
 */
export function emitRecurrent(
  g: GraphBuilder,
  cells: CellSpec[],
  direction: Direction,
  x: Sym,
  mask: Sym | null,
  initialStates: Sym[][] | null,
): RecurrentRun {
  const first = cells[0];
  const units = first.units;
  const gates = first.kind === 'RNN' ? 1 : first.kind === 'GRU' ? 3 : 4;
  const dirs = cells.length;
  const batch = x.shape[0];
  const time = x.shape[1];

  let input = x.name;
  let comp: Compaction | null = null;
  let seqLens = '';
  if (mask) {
    const compacted = compact(g, x.name, mask.name);
    input = compacted.x;
    comp = compacted.c;
    seqLens = compacted.seqLens;
  }
  const xt = g.op('Transpose', [input], { perm: { ints: [1, 0, 2] } });
  const base = first.layer.name;
  const w = g.constFloat(
    `${base}_W`,
    [dirs, gates * units, first.inputDim],
    concatWeights(cells, (c) => c.w),
  );
  const r = g.constFloat(
    `${base}_R`,
    [dirs, gates * units, units],
    concatWeights(cells, (c) => c.r),
  );
  const hasBias = cells.some((c) => c.b);
  const b = hasBias
    ? g.constFloat(
        `${base}_B`,
        [dirs, 2 * gates * units],
        concatWeights(cells, (c) => c.b ?? new Float32Array(2 * gates * units)),
      )
    : '';
  const stacked = (k: number): string => {
    if (!initialStates) return '';
    const parts = initialStates.map((s) => g.op('Unsqueeze', [s[k].name, g.constInt64('axis0', [0])]));
    return parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: { i: 0 } });
  };
  const inputs = [xt, w, r, b, seqLens, stacked(0)];
  if (first.kind === 'LSTM') inputs.push(stacked(1));
  while (inputs[inputs.length - 1] === '') inputs.pop();

  const attrs: Parameters<GraphBuilder['op']>[2] = {
    hidden_size: { i: units },
    direction: { s: direction },
  };
  if (first.kind === 'GRU') attrs.linear_before_reset = { i: first.linearBeforeReset ? 1 : 0 };
  const acts = cells.flatMap((c) => c.activations);
  const alphas = acts.filter((a) => a.alpha !== undefined).map((a) => a.alpha as number);
  const betas = acts.filter((a) => a.beta !== undefined).map((a) => a.beta as number);
  if (alphas.length) attrs.activation_alpha = { floats: alphas };
  if (betas.length) attrs.activation_beta = { floats: betas };
  if (!cells.every(isDefaultActivations)) attrs.activations = { strings: acts.map((a) => a.name) };
  const outputs = g.opN(first.kind, inputs, first.kind === 'LSTM' ? 3 : 2, attrs, base);

  const [y, yh, yc] = outputs;
  const pick = (t: string, axis: number, d: number): string =>
    dirs === 1
      ? g.op('Squeeze', [t, g.constInt64(`axis${axis}`, [axis])])
      : g.op('Gather', [t, g.constInt64(`dir${d}`, [d], [])], { axis: { i: axis } });
  const seqShape: Shape = [batch, time, units];
  const stateShape: Shape = [batch, units];
  const run: RecurrentRun = { sequences: [], states: [] };
  for (let d = 0; d < dirs; d += 1) {
    const reverse = direction === 'reverse' || d === 1;
    let seq = g.op('Transpose', [pick(y, 1, d)], { perm: { ints: [1, 0, 2] } });
    if (comp) seq = uncompact(g, seq, comp, reverse, cells[d].zeroOutputForMask);
    run.sequences.push({ name: seq, shape: seqShape });
    const states = [{ name: pick(yh, 0, d), shape: stateShape }];
    if (yc) states.push({ name: pick(yc, 0, d), shape: stateShape });
    run.states.push(states);
  }
  return run;
}
