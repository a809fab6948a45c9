import type { LayerSpec, ModelDescription } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { unsupported } from './config.js';
import { type CellSpec, RECURRENT_CLASS_NAMES, readCell, stateCount } from './recurrent-cells.js';
import { emitRecurrent, reverseTime } from './recurrent-core.js';
import { type LayerContext, type LayerResult, registerLayer, type Sym } from './registry.js';

/** The Keras-visible result of one recurrent layer: its output and its final states. */
export interface KerasRecurrentResult {
  /** `[batch, time, units]` (in Keras order, i.e. reversed for `go_backwards`) or `[batch, units]`. */
  output: Sym;
  states: Sym[];
}

/** Checks a recurrent layer's input: rank 3 with a known feature size. */
export function recurrentInputDim(layer: LayerSpec, x: Sym): number {
  if (x.shape.length !== 3)
    unsupported(layer, `input of rank ${x.shape.length} (expected [batch, time, features])`);
  const dim = x.shape[2];
  if (dim === null) unsupported(layer, 'an input with an open feature axis');
  return dim;
}

/**
 * Splits the extra call inputs of a recurrent layer into initial states (Keras `initial_state`).
 * Returns null when there are none.
 */
export function initialStatesFrom(layer: LayerSpec, cell: CellSpec, extra: Sym[]): Sym[] | null {
  if (extra.length === 0) return null;
  if (extra.length !== stateCount(cell.kind)) {
    unsupported(layer, `${extra.length} initial state tensors (expected ${stateCount(cell.kind)})`);
  }
  return extra;
}

/**
 * One Keras recurrent layer as Keras' `RNN.call` returns it (keras/src/layers/rnn/rnn.py): with
 * `go_backwards` the input (and mask) are reversed and the output sequence stays in that reversed order.
 */
export function convertRecurrentLayer(
  g: GraphBuilder,
  cell: CellSpec,
  x: Sym,
  mask: Sym | null,
  initial: Sym[] | null,
): KerasRecurrentResult {
  rejectCudnnMask(cell, mask);
  const run = emitRecurrent(
    g,
    [cell],
    cell.goBackwards ? 'reverse' : 'forward',
    x,
    mask,
    initial ? [initial] : null,
  );
  const states = run.states[0];
  let output = states[0];
  if (cell.returnSequences) {
    output = cell.goBackwards ? reverseTime(g, run.sequences[0]) : run.sequences[0];
  }
  return { output, states };
}

/** Keras refuses masks on CuDNN layers (tf_keras/src/layers/rnn/base_cudnn_rnn.py); so do we. */
export function rejectCudnnMask(cell: CellSpec, mask: Sym | null): void {
  if (mask && cell.layer.className.startsWith('CuDNN')) unsupported(cell.layer, 'a mask on a CuDNN layer');
}

function rejectUnsupportedCall(ctx: LayerContext): void {
  const { layer, kwargs } = ctx;
  if (kwargs.initial_state !== undefined && kwargs.initial_state !== null && ctx.inputs.length === 1) {
    unsupported(layer, 'initial_state passed as a keyword argument');
  }
  if (kwargs.constants !== undefined && kwargs.constants !== null) unsupported(layer, 'constants');
}

/** Reads the recurrent layer of a call context (shared with Bidirectional). */
export function cellFor(layer: LayerSpec, model: ModelDescription, x: Sym): CellSpec {
  return readCell(layer, model, recurrentInputDim(layer, x));
}

/**
 * SimpleRNN, GRU, LSTM and the Keras 2 CuDNNGRU/CuDNNLSTM (inference-equivalent to GRU with
 * `reset_after=True` and LSTM with a split bias). `stateful`, `unroll`, dropouts and `use_cudnn` do not
 * change inference results and are ignored. Outputs: `[output, ...states]` with `return_state`.
 */
function recurrentConverter(ctx: LayerContext): LayerResult {
  rejectUnsupportedCall(ctx);
  const { g, layer, model, inputs, masks } = ctx;
  const x = inputs[0];
  const cell = cellFor(layer, model, x);
  const initial = initialStatesFrom(layer, cell, inputs.slice(1));
  const result = convertRecurrentLayer(g, cell, x, masks[0] ?? null, initial);
  const outMask = cell.returnSequences ? (masks[0] ?? null) : null;
  if (!cell.returnState) return { outputs: [result.output], masks: [outMask] };
  return {
    outputs: [result.output, ...result.states],
    masks: [outMask, ...result.states.map(() => null)],
  };
}

registerLayer(RECURRENT_CLASS_NAMES, recurrentConverter, {
  kwargs: ['initial_state', 'constants'],
});
