import type { Shape } from '../../keras/model.js';
import { activationName, applyActivation } from './activations.js';
import { ConfigReader, requireWeights, unsupported } from './config.js';
import { convGeometry, emitConv, kernelToOnnx } from './convolution.js';
import { type LayerContext, type LayerResult, registerLayer, type Sym } from './registry.js';

/** Activations that act per element (ConvLSTM runs its gates channels-first, so axis-wise ones are refused). */
const NOT_ELEMENTWISE = new Set(['softmax', 'softmax_v2', 'log_softmax', 'sparsemax', 'glu']);

/**
 * ConvLSTM1D/2D/3D (keras/src/layers/rnn/conv_lstm.py; tf-keras alike), unrolled over a fixed number of
 * steps: `z = conv(x_t, kernel, strides, padding, dilation) + bias + conv(h, recurrent_kernel, 'same')`, split
 * into the i, f, c, o gates, `c = f * c + i * act(z_c)`, `h = o * act(c)`. The input convolution runs once over
 * all steps (time folded into the batch). Zero initial states, as Keras (`initial_state` and masks refused).
 * `go_backwards` processes the steps last to first and returns the sequence in that order, as Keras does.
 */
function convertConvLstm(rank: number) {
  return ({ g, layer, inputs, masks, model, kwargs }: LayerContext): LayerResult => {
    const cfg = new ConfigReader(layer);
    if (kwargs.training === true && (cfg.number('dropout', 0) > 0 || cfg.number('recurrent_dropout', 0) > 0))
      unsupported(layer, 'training=True with dropout');
    if (masks[0]) unsupported(layer, 'a Keras mask');
    if (inputs.length > 1) unsupported(layer, 'initial states');
    if (cfg.bool('stateful', false)) unsupported(layer, 'stateful=True');
    const x = inputs[0];
    if (x.shape.length !== rank + 3) unsupported(layer, `input of rank ${x.shape.length}`);
    const steps = x.shape[1];
    if (steps === null) return unsupported(layer, 'an open time axis (the steps are unrolled)');
    const geo = convGeometry(layer, rank);
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
    const zAll = g.op('Reshape', [xc.name, g.constInt64('shape', [-1, steps, 4 * filters, ...outSpatial])]);

    const rk = kernelToOnnx(recurrent);
    const rw = g.constFloat(`${layer.name}_recurrent_kernel`, rk.dims, rk.data);
    const ones = Array(rank).fill(1);
    const recGeo = { ...geo, strides: ones, dilations: ones, padding: 'same' as const };
    const stateShape: Shape = [x.shape[0], filters, ...outSpatial];
    let h: string | null = null;
    let c: string | null = null;
    const outputs: string[] = [];
    const order = Array.from({ length: steps }, (_, t) => t);
    if (cfg.bool('go_backwards', false)) order.reverse();
    for (const t of order) {
      let z = g.op('Gather', [zAll, g.constInt64('t', [t], [])], { axis: { i: 1 } });
      // The zero initial state adds exact zeros: the first step skips the recurrent convolution.
      if (h !== null)
        z = g.op('Add', [z, emitConv(g, { name: h, shape: stateShape }, rw, null, recGeo, 4 * filters).name]);
      const [zi, zf, zg, zo] = g.opN('Split', [z], 4, { axis: { i: 1 } });
      const i = applyActivation(g, ract, zi, model.kerasMajor);
      const f = applyActivation(g, ract, zf, model.kerasMajor);
      const o = applyActivation(g, ract, zo, model.kerasMajor);
      const ig = g.op('Mul', [i, applyActivation(g, act, zg, model.kerasMajor)]);
      c = c === null ? ig : g.op('Add', [g.op('Mul', [f, c]), ig]);
      h = g.op('Mul', [o, applyActivation(g, act, c, model.kerasMajor)]);
      outputs.push(h);
    }
    const toLast = (name: string, r: number): string =>
      cf ? name : g.op('Transpose', [name], { perm: { ints: [0, ...range(2, r), 1] } });
    const stateOut: Shape = cf ? stateShape : [x.shape[0], ...outSpatial, filters];
    const last = (name: string): Sym => ({ name: toLast(name, rank + 2), shape: stateOut });
    let main: Sym;
    if (cfg.bool('return_sequences', false)) {
      const seq = g.op(
        'Concat',
        outputs.map((o) => g.op('Unsqueeze', [o, g.constInt64('axes1', [1])])),
        { axis: { i: 1 } },
      );
      const perm = cf ? null : [0, 1, ...range(3, rank + 3), 2];
      main = {
        name: perm ? g.op('Transpose', [seq], { perm: { ints: perm } }) : seq,
        shape: [x.shape[0], steps, ...stateOut.slice(1)],
      };
    } else {
      main = last(h as string);
    }
    if (!cfg.bool('return_state', false)) return { outputs: [main], masks: [null] };
    return { outputs: [main, last(h as string), last(c as string)], masks: [null, null, null] };
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

registerLayer('ConvLSTM1D', convertConvLstm(1), { kwargs: ['training'] });
registerLayer('ConvLSTM2D', convertConvLstm(2), { kwargs: ['training'] });
registerLayer('ConvLSTM3D', convertConvLstm(3), { kwargs: ['training'] });
