import type { DepthwiseConvConfig } from '../../keras/layer-classes/convolution.js';
import type { WeightTensor } from '../../keras/model.js';
import { activationName, applyActivation } from './activations.js';
import { requireWeights, unsupported } from './config.js';
import { convGeometry, emitConv, kernelToOnnx } from './convolution.js';
import { toChannelsFirst, toChannelsLast } from './layout.js';
import { registerLayer, type TypedLayerContext } from './registry.js';

/**
 * Keras depthwise kernel `(k..., in, mult)` → ONNX grouped Conv weight `(in * mult, 1, k...)` with `group = in`:
 * output channel `c * mult + m` is input channel `c` through multiplier `m`, as `tf.nn.depthwise_conv2d` orders it.
 */
export function depthwiseKernelToOnnx(kernel: WeightTensor): { dims: number[]; data: Float32Array } {
  const rank = kernel.shape.length;
  const spatial = kernel.shape.slice(0, rank - 2);
  const cin = kernel.shape[rank - 2];
  const mult = kernel.shape[rank - 1];
  const k = spatial.reduce((a, b) => a * b, 1);
  const out = new Float32Array(kernel.data.length);
  for (let s = 0; s < k; s += 1) {
    for (let c = 0; c < cin; c += 1) {
      for (let m = 0; m < mult; m += 1) {
        out[(c * mult + m) * k + s] = kernel.data[(s * cin + c) * mult + m];
      }
    }
  }
  return { dims: [cin * mult, 1, ...spatial], data: out };
}

/**
 * DepthwiseConv1D/2D (keras/src/layers/convolutional/base_depthwise_conv.py) and SeparableConv1D/2D
 * (base_separable_conv.py: depthwise with the layer's strides/padding/dilation, then a 1x1 pointwise conv,
 * then the bias and activation). Weights: depthwise `[kernel, bias?]`, separable `[depthwise, pointwise, bias?]`.
 */
function depthwiseLayer(rank: number, separable: boolean) {
  return ({ g, layer, inputs, model, config: cfg }: TypedLayerContext<DepthwiseConvConfig>) => {
    const useBias = cfg.bool('use_bias', true);
    const nWeights = (separable ? 2 : 1) + (useBias ? 1 : 0);
    requireWeights(layer, nWeights);
    const dw = layer.weights[0];
    if (dw.shape.length !== rank + 2) unsupported(layer, `depthwise kernel of shape [${dw.shape}]`);
    const geo = convGeometry(cfg, layer, rank, dw.shape.slice(0, rank));
    const input = geo.channelsFirst ? inputs[0] : toChannelsFirst(g, inputs[0]);
    const cin = dw.shape[rank];
    if (input.shape[1] !== null && input.shape[1] !== cin) {
      unsupported(layer, `depthwise kernel for ${cin} channels on ${input.shape[1]}`);
    }
    const d = depthwiseKernelToOnnx(dw);
    const dwName = g.constFloat(`${layer.name}_depthwise`, d.dims, d.data);
    const bias = useBias ? layer.weights[nWeights - 1] : null;
    const biasName = bias ? g.constFloat(`${layer.name}_bias`, bias.shape, bias.data) : null;
    let y = emitConv(g, input, dwName, separable ? null : biasName, geo, d.dims[0], cin);
    if (separable) {
      const p = kernelToOnnx(layer.weights[1]);
      if (p.dims[1] !== d.dims[0] || p.dims.slice(2).some((s) => s !== 1)) {
        unsupported(layer, `pointwise kernel of shape [${layer.weights[1].shape}]`);
      }
      const pw = g.constFloat(`${layer.name}_pointwise`, p.dims, p.data);
      const ones = Array(rank).fill(1);
      const pointGeo = {
        rank,
        kernel: ones,
        strides: ones,
        dilations: ones,
        padding: 'valid' as const,
        channelsFirst: true,
      };
      y = emitConv(g, y, pw, biasName, pointGeo, p.dims[0]);
    }
    y = {
      name: applyActivation(g, activationName(cfg.raw('activation')), y.name, model.kerasMajor, 1),
      shape: y.shape,
    };
    return { masks: [null], outputs: [geo.channelsFirst ? y : toChannelsLast(g, y)] };
  };
}

registerLayer('DepthwiseConv1D', depthwiseLayer(1, false));
registerLayer('DepthwiseConv2D', depthwiseLayer(2, false));
registerLayer('SeparableConv1D', depthwiseLayer(1, true));
registerLayer('SeparableConv2D', depthwiseLayer(2, true));
