import type { ConvTransposeConfig } from '../../keras/layer-classes/convolution.js';
import type { WeightTensor } from '../../keras/model.js';
import { activationName, applyActivation } from './activations.js';
import { requireWeights, unsupported } from './config.js';
import { toChannelsFirst, toChannelsLast } from './layout.js';
import { registerLayer, type TypedLayerContext } from './registry.js';

/**
 * Keras transposed-conv kernel `(k..., out, in)` → ONNX ConvTranspose weight `(in, out, k...)`.
 */
export function transposeKernelToOnnx(kernel: WeightTensor): { dims: number[]; data: Float32Array } {
  const rank = kernel.shape.length;
  const spatial = kernel.shape.slice(0, rank - 2);
  const cout = kernel.shape[rank - 2];
  const cin = kernel.shape[rank - 1];
  const k = spatial.reduce((a, b) => a * b, 1);
  const out = new Float32Array(kernel.data.length);
  for (let s = 0; s < k; s += 1) {
    for (let o = 0; o < cout; o += 1) {
      for (let i = 0; i < cin; i += 1) {
        out[(i * cout + o) * k + s] = kernel.data[(s * cout + o) * cin + i];
      }
    }
  }
  return { dims: [cin, cout, ...spatial], data: out };
}

/**
 * Output length of a transposed conv (keras/src/utils/conv_utils.py / tf_keras `deconv_output_length`):
 * with `output_padding` null, `valid` gives `in * s + max(k - s, 0)` and `same` gives `in * s`; otherwise
 * `(in - 1) * s + k - 2 * pad + output_padding` with `pad = k // 2` for `same`. `k` is the dilated kernel.
 */
export function deconvLength(
  input: number,
  kernel: number,
  stride: number,
  padding: 'valid' | 'same',
  outputPadding: number | null,
): number {
  if (outputPadding === null) {
    return padding === 'valid' ? input * stride + Math.max(kernel - stride, 0) : input * stride;
  }
  const pad = padding === 'same' ? Math.floor(kernel / 2) : 0;
  return (input - 1) * stride + kernel - 2 * pad + outputPadding;
}

/**
 * ONNX pads reproducing TF's `conv_transpose` for one axis. TF runs the gradient of a forward conv whose
 * input has length `L` (from `deconvLength`); that forward conv pads `floor(total / 2)` at the start with
 * `total = max((in - 1) * s + k - L, 0)` for `same`, 0 for `valid`. ONNX computes the full transposed output
 * `F = (in - 1) * s + k`, drops `begin` values at the start and `end` at the end, and appends `extra` zeros.
 * `L - F` does not depend on `in`, so open sizes work (pass any size, e.g. 1).
 */
export function transposePads(
  kernel: number,
  stride: number,
  padding: 'valid' | 'same',
  outputPadding: number | null,
): { begin: number; end: number; extra: number } {
  const input = 16;
  const length = deconvLength(input, kernel, stride, padding, outputPadding);
  const full = (input - 1) * stride + kernel;
  const begin = padding === 'same' ? Math.floor(Math.max(full - length, 0) / 2) : 0;
  const end = full - begin - length;
  return end >= 0 ? { begin, end, extra: 0 } : { begin, end: 0, extra: -end };
}

/** Conv1DTranspose/Conv2DTranspose/Conv3DTranspose (keras/src/layers/convolutional/base_conv_transpose.py). */
function convTransposeLayer(rank: number) {
  return ({ g, layer, inputs, model, config: cfg }: TypedLayerContext<ConvTransposeConfig>) => {
    const useBias = cfg.bool('use_bias', true);
    requireWeights(layer, useBias ? 2 : 1);
    const kernel = layer.weights[0];
    if (kernel.shape.length !== rank + 2) unsupported(layer, `kernel of shape [${kernel.shape}]`);
    const ksize = kernel.shape.slice(0, rank);
    const strides = cfg.tuple('strides', rank, Array(rank).fill(1));
    const dilations = cfg.tuple('dilation_rate', rank, Array(rank).fill(1));
    const padding = cfg.string('padding', 'valid').toLowerCase();
    if (padding !== 'valid' && padding !== 'same') unsupported(layer, `padding "${padding}"`);
    const outputPadding = cfg.has('output_padding') ? cfg.tuple('output_padding', rank) : null;
    if (cfg.number('groups', 1) !== 1) unsupported(layer, 'groups other than 1');
    const channelsFirst = cfg.channelsFirst();
    const x = channelsFirst ? inputs[0] : toChannelsFirst(g, inputs[0]);
    const { dims, data } = transposeKernelToOnnx(kernel);
    if (x.shape[1] !== null && x.shape[1] !== dims[0]) {
      unsupported(layer, `kernel for ${dims[0]} input channels on ${x.shape[1]}`);
    }
    const effective = ksize.map((k, i) => (k - 1) * dilations[i] + 1);
    const per = effective.map((k, i) =>
      transposePads(k, strides[i], padding, outputPadding ? outputPadding[i] : null),
    );
    const w = g.constFloat(`${layer.name}_kernel`, dims, data);
    const b = useBias
      ? g.constFloat(`${layer.name}_bias`, layer.weights[1].shape, layer.weights[1].data)
      : null;
    const name = g.op('ConvTranspose', b ? [x.name, w, b] : [x.name, w], {
      kernel_shape: { ints: ksize },
      strides: { ints: strides },
      dilations: { ints: dilations },
      pads: { ints: [...per.map((p) => p.begin), ...per.map((p) => p.end)] },
      output_padding: { ints: per.map((p) => p.extra) },
    });
    const spatial = x.shape
      .slice(2)
      .map((d, i) =>
        d === null
          ? null
          : deconvLength(d, effective[i], strides[i], padding, outputPadding ? outputPadding[i] : null),
      );
    let y = { name, shape: [x.shape[0], dims[1], ...spatial] };
    y = {
      name: applyActivation(g, activationName(cfg.raw('activation')), y.name, model.kerasMajor, 1),
      shape: y.shape,
    };
    return { masks: [null], outputs: [channelsFirst ? y : toChannelsLast(g, y)] };
  };
}

registerLayer('Conv1DTranspose', convTransposeLayer(1));
registerLayer('Conv2DTranspose', convTransposeLayer(2));
registerLayer('Conv3DTranspose', convTransposeLayer(3));
