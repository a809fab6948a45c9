import type { ConvConfig, ConvWindowConfig } from '../../keras/layer-classes/convolution.js';
import type { LayerSpec, WeightTensor } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { activationName, applyActivation } from './activations.js';
import { type ConfigReader, requireWeights, unsupported } from './config.js';
import { emitDenseConv } from './conv-dense.js';
import { explicitPads, outputSize, type Padding, toChannelsFirst, toChannelsLast } from './layout.js';
import { registerLayer, type Sym, type TypedLayerContext } from './registry.js';

/** Keras kernel `(k..., in, out)` → ONNX Conv weight `(out, in, k...)`. */
export function kernelToOnnx(kernel: WeightTensor): { dims: number[]; data: Float32Array } {
  const rank = kernel.shape.length;
  const spatial = kernel.shape.slice(0, rank - 2);
  const cin = kernel.shape[rank - 2];
  const cout = kernel.shape[rank - 1];
  const k = spatial.reduce((a, b) => a * b, 1);
  const out = new Float32Array(kernel.data.length);
  for (let s = 0; s < k; s += 1) {
    for (let i = 0; i < cin; i += 1) {
      for (let o = 0; o < cout; o += 1) {
        out[(o * cin + i) * k + s] = kernel.data[(s * cin + i) * cout + o];
      }
    }
  }
  return { dims: [cout, cin, ...spatial], data: out };
}

export interface ConvGeometry {
  rank: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  padding: Padding;
  channelsFirst: boolean;
}

export function convGeometry(
  cfg: ConfigReader<ConvWindowConfig>,
  layer: LayerSpec,
  rank: number,
  kernelShape?: number[],
): ConvGeometry {
  const padding = cfg.string('padding', 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same' && padding !== 'causal')
    unsupported(layer, `padding "${padding}"`);
  return {
    rank,
    kernel: kernelShape ?? cfg.tuple('kernel_size', rank),
    strides: cfg.tuple('strides', rank, Array(rank).fill(1)),
    dilations: cfg.tuple('dilation_rate', rank, Array(rank).fill(1)),
    padding: padding as Padding,
    channelsFirst: cfg.channelsFirst(),
  };
}

/**
 * Emits an ONNX Conv on a channels-first tensor with TF padding semantics; returns the channels-first output.
 */
export function emitConv(
  g: GraphBuilder,
  x: Sym,
  weight: string,
  bias: string | null,
  geo: ConvGeometry,
  outChannels: number,
  group = 1,
): Sym {
  const spatial = x.shape.slice(2);
  const pads = explicitPads(spatial, geo.kernel, geo.strides, geo.dilations, geo.padding);
  const attrs = {
    kernel_shape: { ints: geo.kernel },
    strides: { ints: geo.strides },
    dilations: { ints: geo.dilations },
    group: { i: group },
    ...(pads ? { pads: { ints: pads } } : { auto_pad: { s: 'SAME_UPPER' } }),
  };
  const name = g.op('Conv', bias ? [x.name, weight, bias] : [x.name, weight], attrs);
  const outSpatial = spatial.map((s, i) =>
    outputSize(s, geo.kernel[i], geo.strides[i], geo.dilations[i], geo.padding),
  );
  return { name, shape: [x.shape[0], outChannels, ...outSpatial] };
}

/** Conv1D/2D/3D (keras/src/layers/convolutional/base_conv.py), with `groups`. */
function convLayer(rank: number) {
  return ({ g, layer, inputs, model, config: cfg }: TypedLayerContext<ConvConfig>) => {
    const useBias = cfg.bool('use_bias', true);
    requireWeights(layer, useBias ? 2 : 1);
    const geo = convGeometry(cfg, layer, rank);
    const { dims, data } = kernelToOnnx(layer.weights[0]);
    const input = geo.channelsFirst ? inputs[0] : toChannelsFirst(g, inputs[0]);
    const inChannels = input.shape[1];
    const groups = cfg.number('groups', 1);
    if (inChannels !== null && dims[1] * groups !== inChannels) {
      unsupported(layer, `kernel for ${dims[1] * groups} input channels on ${inChannels}`);
    }
    const biasData = useBias ? layer.weights[1].data : null;
    let y =
      (groups === 1 ? emitDenseConv(g, input, { dims, data }, biasData, geo, layer.name) : null) ??
      emitConv(
        g,
        input,
        g.constFloat(`${layer.name}_kernel`, dims, data),
        biasData ? g.constFloat(`${layer.name}_bias`, layer.weights[1].shape, biasData) : null,
        geo,
        dims[0],
        groups,
      );
    y = {
      name: applyActivation(g, activationName(cfg.raw('activation')), y.name, model.kerasMajor, 1),
      shape: y.shape,
    };
    return { outputs: [geo.channelsFirst ? y : toChannelsLast(g, y)] };
  };
}

registerLayer('Conv1D', convLayer(1));
registerLayer('Conv2D', convLayer(2));
registerLayer('Conv3D', convLayer(3));
