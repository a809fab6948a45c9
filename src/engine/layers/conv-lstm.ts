import type { ConvLSTMConfig } from '../../keras/layer-classes/recurrent.js';
import type { Shape } from '../../keras/model.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { activationName, applyActivation } from './activations.js';
import { requireWeights, unsupported } from './config.js';
import { type ConvGeometry, convGeometry, emitConv, kernelToOnnx } from './convolution.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

/** Activations that act per element (ConvLSTM runs its gates channels-first, so axis-wise ones are refused). */
const NOT_ELEMENTWISE = new Set(['softmax', 'softmax_v2', 'log_softmax', 'sparsemax', 'glu']);

/**
 * ConvLSTM1D/2D/3D (keras/src/layers/rnn/conv_lstm.py; tf-keras alike), unrolled over a fixed number of
 * steps (an ONNX Scan when the time axis is open): `z = conv(x_t, kernel, strides, padding, dilation) + bias + conv(h, recurrent_kernel, 'same')`, split
 * into the i, f, c, o gates, `c = f * c + i * act(z_c)`, `h = o * act(c)`. The input convolution runs once over
 * all steps (time folded into the batch). Zero initial states, as Keras (`initial_state` and masks refused).
 * `go_backwards` processes the steps last to first and returns the sequence in that order, as Keras does.
 */
function convertConvLstm(rank: number) {
  return ({
    g,
    layer,
    inputs,
    masks,
    model,
    kwargs,
    config: cfg,
  }: TypedLayerContext<ConvLSTMConfig>): LayerResult => {
    if (kwargs.training === true && (cfg.number('dropout', 0) > 0 || cfg.number('recurrent_dropout', 0) > 0))
      unsupported(layer, 'training=True with dropout');
    if (masks[0]) unsupported(layer, 'a Keras mask');
    if (inputs.length > 1) unsupported(layer, 'initial states');
    if (cfg.bool('stateful', false)) unsupported(layer, 'stateful=True');
    const x = inputs[0];
    if (x.shape.length !== rank + 3) unsupported(layer, `input of rank ${x.shape.length}`);
    const steps = x.shape[1];
    const geo = convGeometry(cfg, layer, rank);
    if (geo.padding === 'causal') unsupported(layer, 'padding "causal"');
    const filters = cfg.number('filters');
    const useBias = cfg.bool('use_bias', true);
    requireWeights(layer, useBias ? 3 : 2);
    const [kernel, recurrent, bias] = layer.weights;
    const act = activationName(cfg.raw('activation') ?? 'tanh');
    const ract = activationName(
      cfg.raw('recurrent_activation') ?? (model.kerasMajor >= 3 ? 'sigmoid' : 'hard_sigmoid'),
    );
    for (const a of [act, ract]) if (NOT_ELEMENTWISE.has(a)) unsupported(layer, `activation ${a}`);
    const cf = geo.channelsFirst;
    const perStep = x.shape.slice(2);
    const channels = cf ? perStep[0] : perStep[rank];
    const spatial = cf ? perStep.slice(1) : perStep.slice(0, rank);
    if (channels === null || spatial.some((d) => d === null))
      return unsupported(layer, 'open channel or spatial axes');
    if (
      kernel.shape.length !== rank + 2 ||
      kernel.shape[rank] !== channels ||
      kernel.shape[rank + 1] !== 4 * filters
    )
      unsupported(layer, `kernel [${kernel.shape}] for ${channels} channels and ${filters} filters`);

    // [B, T, C, S...] with time folded into the batch for one input convolution over every step.
    const toCf = cf
      ? x.name
      : g.op('Transpose', [x.name], { perm: { ints: [0, 1, rank + 2, ...range(2, rank + 2)] } });
    const folded = g.op('Reshape', [toCf, g.constInt64('shape', [-1, channels, ...(spatial as number[])])]);
    const k = kernelToOnnx(kernel);
    const w = g.constFloat(`${layer.name}_kernel`, k.dims, k.data);
    const b = useBias ? g.constFloat(`${layer.name}_bias`, [4 * filters], bias.data) : null;
    const xc = emitConv(g, { name: folded, shape: [null, channels, ...spatial] }, w, b, geo, 4 * filters);
    const outSpatial = xc.shape.slice(2) as number[];
    if (outSpatial.some((d) => d === null)) unsupported(layer, 'open output sizes');

    const rk = kernelToOnnx(recurrent);
    const ones = Array(rank).fill(1);
    const cell: CellOps = {
      act,
      ract,
      kerasMajor: model.kerasMajor,
      recGeo: { ...geo, strides: ones, dilations: ones, padding: 'same' },
      filters,
      stateShape: [x.shape[0], filters, ...outSpatial],
    };
    const goBackwards = cfg.bool('go_backwards', false);
    const dims = [4 * filters, ...outSpatial];
    let run: { seq: string; h: string; c: string };
    if (steps !== null) {
      const zAll = g.op('Reshape', [xc.name, g.constInt64('shape', [-1, steps, ...dims])]);
      run = unrolled(
        g,
        zAll,
        steps,
        goBackwards,
        g.constFloat(`${layer.name}_recurrent_kernel`, rk.dims, rk.data),
        cell,
      );
    } else {
      const batchTime = g.op('Slice', [
        g.op('Shape', [x.name]),
        g.constInt64('zero', [0]),
        g.constInt64('two', [2]),
        g.constInt64('axis0', [0]),
      ]);
      const zShape = g.op('Concat', [batchTime, g.constInt64('dims', dims)], { axis: { i: 0 } });
      run = scanned(g, layer.name, g.op('Reshape', [xc.name, zShape]), goBackwards, rk, cell);
    }
    const { h, c } = run;
    const toLast = (name: string, r: number): string =>
      cf ? name : g.op('Transpose', [name], { perm: { ints: [0, ...range(2, r), 1] } });
    const stateOut: Shape = cf ? cell.stateShape : [x.shape[0], ...outSpatial, filters];
    const last = (name: string): Sym => ({ name: toLast(name, rank + 2), shape: stateOut });
    let main: Sym;
    if (cfg.bool('return_sequences', false)) {
      const seq = run.seq;
      const perm = cf ? null : [0, 1, ...range(3, rank + 3), 2];
      main = {
        name: perm ? g.op('Transpose', [seq], { perm: { ints: perm } }) : seq,
        shape: [x.shape[0], steps, ...stateOut.slice(1)],
      };
    } else {
      main = last(h);
    }
    if (!cfg.bool('return_state', false)) return { outputs: [main], masks: [null] };
    return { outputs: [main, last(h), last(c)], masks: [null, null, null] };
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

interface CellOps {
  act: string;
  ract: string;
  kerasMajor: number;
  recGeo: ConvGeometry;
  filters: number;
  stateShape: Shape;
}

/** One step from `z` (input convolution of the step, `[B, 4F, S...]`); `h`, `c` null for the zero start state. */
function cellStep(
  g: GraphBuilder,
  z0: string,
  h0: string | null,
  c0: string | null,
  rw: string,
  cell: CellOps,
) {
  const { act, ract, kerasMajor } = cell;
  // The zero initial state adds exact zeros: a first step without a state skips the recurrent convolution.
  const z =
    h0 === null
      ? z0
      : g.op('Add', [
          z0,
          emitConv(g, { name: h0, shape: cell.stateShape }, rw, null, cell.recGeo, 4 * cell.filters).name,
        ]);
  const [zi, zf, zg, zo] = g.opN('Split', [z], 4, { axis: { i: 1 } });
  const i = applyActivation(g, ract, zi, kerasMajor);
  const f = applyActivation(g, ract, zf, kerasMajor);
  const o = applyActivation(g, ract, zo, kerasMajor);
  const ig = g.op('Mul', [i, applyActivation(g, act, zg, kerasMajor)]);
  const c = c0 === null ? ig : g.op('Add', [g.op('Mul', [f, c0]), ig]);
  return { h: g.op('Mul', [o, applyActivation(g, act, c, kerasMajor)]), c };
}

/** A fixed number of steps, unrolled; the sequence stacked on axis 1 in processing order. */
function unrolled(
  g: GraphBuilder,
  zAll: string,
  steps: number,
  backwards: boolean,
  rw: string,
  cell: CellOps,
) {
  let h: string | null = null;
  let c: string | null = null;
  const outputs: string[] = [];
  const order = Array.from({ length: steps }, (_, t) => t);
  if (backwards) order.reverse();
  for (const t of order) {
    const z = g.op('Gather', [zAll, g.constInt64('t', [t], [])], { axis: { i: 1 } });
    ({ h, c } = cellStep(g, z, h, c, rw, cell));
    outputs.push(g.op('Unsqueeze', [h, g.constInt64('axes1', [1])]));
  }
  return { seq: g.op('Concat', outputs, { axis: { i: 1 } }), h: h as string, c: c as string };
}

/** Names of a Scan body, kept apart from the outer graph's (ONNX forbids a subgraph shadowing them). */
class ScopedBuilder extends GraphBuilder {
  constructor(private readonly prefix: string) {
    super();
  }
  override unique(base: string): string {
    return super.unique(`${this.prefix}${base}`);
  }
}

/** Any number of steps: an ONNX Scan over axis 1 from zero states (`conv(0) = 0`, so the same numbers). */
function scanned(
  g: GraphBuilder,
  name: string,
  zAll: string,
  backwards: boolean,
  rk: { dims: number[]; data: Float32Array },
  cell: CellOps,
) {
  const prefix = `${name}__scan__`;
  const body = new ScopedBuilder(prefix);
  const state = ['batch', ...(cell.stateShape.slice(1) as number[])];
  const zDims = ['batch', 4 * cell.filters, ...(cell.stateShape.slice(2) as number[])];
  const hIn = body.addInput(`${prefix}h_in`, state);
  const cIn = body.addInput(`${prefix}c_in`, state);
  const zIn = body.addInput(`${prefix}z_in`, zDims);
  const step = cellStep(body, zIn, hIn, cIn, body.constFloat('recurrent_kernel', rk.dims, rk.data), cell);
  body.addOutput('h_out', step.h, state);
  body.addOutput('c_out', step.c, state);
  body.addOutput('y_out', step.h, state);
  const stateDims = g.op(
    'Concat',
    [
      g.op('Slice', [
        g.op('Shape', [zAll]),
        g.constInt64('zero', [0]),
        g.constInt64('one', [1]),
        g.constInt64('axis0', [0]),
      ]),
      g.constInt64('state_dims', cell.stateShape.slice(1) as number[]),
    ],
    { axis: { i: 0 } },
  );
  const zeros = g.op('ConstantOfShape', [stateDims]);
  const [h, c, seq] = g.opN('Scan', [zeros, zeros, zAll], 3, {
    body: { g: body.buildGraph(`${name}_step`) },
    num_scan_inputs: { i: 1 },
    scan_input_axes: { ints: [1] },
    scan_input_directions: { ints: [backwards ? 1 : 0] },
    scan_output_axes: { ints: [1] },
  });
  return { seq, h, c };
}

registerLayer('ConvLSTM1D', convertConvLstm(1), { kwargs: ['training'] });
registerLayer('ConvLSTM2D', convertConvLstm(2), { kwargs: ['training'] });
registerLayer('ConvLSTM3D', convertConvLstm(3), { kwargs: ['training'] });
