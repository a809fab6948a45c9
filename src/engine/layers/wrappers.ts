import type { BidirectionalConfig } from '../../keras/layer-classes/wrappers.js';
import type { LayerSpec, Shape } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { unsupported } from './config.js';
import { convertRecurrentLayer, recurrentInputDim, rejectCudnnMask } from './recurrent.js';
import {
  type CellSpec,
  RECURRENT_CLASSES,
  readCell,
  recurrentWeightCount,
  stateCount,
} from './recurrent-cells.js';
import { emitRecurrent, reverseTime } from './recurrent-core.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

interface NestedConfig {
  class_name: string;
  config: Record<string, unknown>;
}

/** Reads a nested `{class_name, config}` layer config (Bidirectional `layer`/`backward_layer`, TimeDistributed `layer`). */
function nestedConfig(layer: LayerSpec, key: string): NestedConfig | null {
  const v = layer.config[key];
  if (v === undefined || v === null) return null;
  const obj = v as Partial<NestedConfig>;
  if (typeof obj !== 'object' || typeof obj.class_name !== 'string' || typeof obj.config !== 'object') {
    unsupported(layer, `a "${key}" config that is not {class_name, config}`);
  }
  return { class_name: obj.class_name, config: obj.config ?? {} };
}

function nestedSpec(parent: LayerSpec, nested: NestedConfig, weights: LayerSpec['weights']): LayerSpec {
  return {
    name: `${parent.name}/${String(nested.config.name ?? nested.class_name)}`,
    className: nested.class_name,
    config: nested.config,
    inbound: [],
    weights,
  };
}

/** Same ONNX op, hidden size and reset mode: both halves fit one `direction=bidirectional` op. */
function fusable(fwd: CellSpec, bwd: CellSpec): boolean {
  return (
    !fwd.goBackwards &&
    bwd.goBackwards &&
    fwd.kind === bwd.kind &&
    fwd.units === bwd.units &&
    fwd.linearBeforeReset === bwd.linearBeforeReset
  );
}

function merge(g: GraphBuilder, mode: string, y: Sym, yRev: Sym): Sym {
  const last = y.shape[y.shape.length - 1];
  const lastRev = yRev.shape[yRev.shape.length - 1];
  switch (mode) {
    case 'concat':
      return {
        name: g.op('Concat', [y.name, yRev.name], { axis: { i: -1 } }),
        shape: [...y.shape.slice(0, -1), last === null || lastRev === null ? null : last + lastRev],
      };
    case 'sum':
      return { name: g.op('Add', [y.name, yRev.name]), shape: y.shape };
    case 'mul':
      return { name: g.op('Mul', [y.name, yRev.name]), shape: y.shape };
    default: {
      const sum = g.op('Add', [y.name, yRev.name]);
      return { name: g.op('Mul', [sum, g.constFloat('half', [], [0.5])]), shape: y.shape };
    }
  }
}

/**
 * Bidirectional (keras/src/layers/rnn/bidirectional.py): the backward layer is `backward_layer` or the
 * forward config with `go_backwards` flipped; Keras forces `zero_output_for_mask = return_sequences` on
 * both halves and flips the backward output sequence back to input order before merging. Weights are the
 * forward layer's then the backward layer's. Outputs: merged output (two with `merge_mode=None`), then
 * forward states, then backward states.
 */
registerLayer(
  'Bidirectional',
  (ctx: TypedLayerContext<BidirectionalConfig>): LayerResult => {
    const { g, layer, model, inputs, masks, config: cfg } = ctx;
    const mergeMode = cfg.raw('merge_mode') ?? null;
    if (mergeMode !== null && !['concat', 'sum', 'mul', 'ave'].includes(String(mergeMode))) {
      unsupported(layer, `merge_mode "${String(mergeMode)}"`);
    }
    const fwdConfig = nestedConfig(layer, 'layer');
    if (!fwdConfig) unsupported(layer, 'a Bidirectional without a "layer" config');
    const bwdConfig = nestedConfig(layer, 'backward_layer') ?? {
      class_name: fwdConfig.class_name,
      config: { ...fwdConfig.config, go_backwards: !fwdConfig.config.go_backwards },
    };
    for (const c of [fwdConfig, bwdConfig]) {
      if (!RECURRENT_CLASSES[c.class_name]) unsupported(layer, `a wrapped ${c.class_name}`);
    }
    const x = inputs[0];
    const mask = masks[0] ?? null;
    const nFwd = recurrentWeightCount(fwdConfig.class_name, fwdConfig.config);
    const fwdSpec = nestedSpec(layer, fwdConfig, layer.weights.slice(0, nFwd));
    const bwdSpec = nestedSpec(layer, bwdConfig, layer.weights.slice(nFwd));
    const dim = recurrentInputDim(layer, x);
    const fwd = readCell(fwdSpec, model, dim);
    const bwd = readCell(bwdSpec, model, dim);
    if (fwd.returnSequences !== bwd.returnSequences || fwd.returnState !== bwd.returnState) {
      unsupported(layer, 'forward and backward layers with different return_sequences/return_state');
    }
    const returnSequences = fwd.returnSequences;
    fwd.zeroOutputForMask = returnSequences;
    bwd.zeroOutputForMask = returnSequences;

    const extra = inputs.slice(1);
    let fwdInit: Sym[] | null = null;
    let bwdInit: Sym[] | null = null;
    if (extra.length > 0) {
      const half = stateCount(fwd.kind);
      if (extra.length !== half + stateCount(bwd.kind))
        unsupported(layer, `${extra.length} initial state tensors`);
      fwdInit = extra.slice(0, half);
      bwdInit = extra.slice(half);
    }

    let y: Sym;
    let yRev: Sym;
    let fwdStates: Sym[];
    let bwdStates: Sym[];
    rejectCudnnMask(fwd, mask);
    rejectCudnnMask(bwd, mask);
    if (fusable(fwd, bwd)) {
      const run = emitRecurrent(
        g,
        [fwd, bwd],
        'bidirectional',
        x,
        mask,
        fwdInit && bwdInit ? [fwdInit, bwdInit] : null,
      );
      [fwdStates, bwdStates] = run.states;
      // The reverse direction's sequence is already in input order, i.e. Keras' flipped y_rev.
      y = returnSequences ? run.sequences[0] : fwdStates[0];
      yRev = returnSequences ? run.sequences[1] : bwdStates[0];
    } else {
      const a = convertRecurrentLayer(g, fwd, x, mask, fwdInit);
      const b = convertRecurrentLayer(g, bwd, x, mask, bwdInit);
      fwdStates = a.states;
      bwdStates = b.states;
      y = a.output;
      yRev = returnSequences ? reverseTime(g, b.output) : b.output;
    }

    const outMask = returnSequences ? mask : null;
    const outputs: Sym[] = mergeMode === null ? [y, yRev] : [merge(g, String(mergeMode), y, yRev)];
    const outMasks: (Sym | null)[] = outputs.map(() => outMask);
    if (fwd.returnState) {
      outputs.push(...fwdStates, ...bwdStates);
      outMasks.push(...fwdStates.map(() => null), ...bwdStates.map(() => null));
    }
    return { outputs, masks: outMasks };
  },
  { kwargs: ['initial_state'] },
);

/** `Shape(t)[start:end]` as an int64 tensor. */
function shapeSlice(g: GraphBuilder, t: string, start: number, end?: number): string {
  const args = [g.op('Shape', [t]), g.constInt64('slice_start', [start])];
  args.push(g.constInt64('slice_end', [end ?? Number.MAX_SAFE_INTEGER]));
  return g.op('Slice', args);
}

/** Reshapes `[N * T, ...rest]` back to `[N, T, ...rest]` using the runtime shapes. */
function unfold(g: GraphBuilder, original: string, t: Sym, batchTime: Shape): Sym {
  const target = g.op('Concat', [shapeSlice(g, original, 0, 2), shapeSlice(g, t.name, 1)], {
    axis: { i: 0 },
  });
  return { name: g.op('Reshape', [t.name, target]), shape: [...batchTime, ...t.shape.slice(1)] };
}

/**
 * TimeDistributed (keras/src/layers/core/time_distributed.py): folds time into the batch axis, runs the
 * wrapped layer (with the wrapper's weights) and unfolds. Shapes are computed at run time, so an open time
 * axis works. The output mask is the wrapped layer's mask unfolded, else the input mask.
 */
registerLayer('TimeDistributed', ({ g, layer, inputs, masks, convertNested }): LayerResult => {
  const inner = nestedConfig(layer, 'layer');
  if (!inner) unsupported(layer, 'a TimeDistributed without a "layer" config');
  const x = inputs[0];
  if (x.shape.length < 3) unsupported(layer, `input of rank ${x.shape.length} (expected at least 3)`);
  const folded = g.op('Reshape', [
    x.name,
    g.op('Concat', [g.constInt64('minus_one', [-1]), shapeSlice(g, x.name, 2)], { axis: { i: 0 } }),
  ]);
  const batchTime = x.shape.slice(0, 2);
  const foldedShape: Shape = [
    x.shape[0] === null || x.shape[1] === null ? null : x.shape[0] * x.shape[1],
    ...x.shape.slice(2),
  ];
  const result = convertNested(
    nestedSpec(layer, inner, layer.weights),
    [{ name: folded, shape: foldedShape }],
    [null],
  );
  const outputs = result.outputs.map((o) => unfold(g, x.name, o, batchTime));
  const outMasks = result.outputs.map((_, i) => {
    const m = result.masks?.[i] ?? null;
    return m ? unfold(g, x.name, m, batchTime) : (masks[0] ?? null);
  });
  return { outputs, masks: outMasks };
});
