import type { LayerSpec, Shape, WeightTensor } from '../../keras/model.js';
import { einsum } from '../onnx/einsum.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { activationName, applyActivationShaped } from './activations.js';
import { requireWeights, unsupported } from './config.js';
import { registerLayer, type Sym } from './registry.js';

/** The three equation forms Keras' EinsumDense accepts (keras/src/layers/core/einsum_dense.py). */
const FORMS = [
  /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/,
  /^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$/,
  /^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$/,
];

/**
 * The output shape of `einsum(equation, x, kernel)` for a two-operand equation with an optional `...` at the
 * start or end of the input and output (the forms EinsumDense and MultiHeadAttention use). Letters take their
 * size from the input (open axes stay null) or the kernel.
 */
export function einsumShape(layer: LayerSpec, equation: string, input: Shape, kernel: number[]): Shape {
  const form = FORMS.findIndex((re) => re.test(equation));
  const m = form >= 0 ? FORMS[form].exec(equation) : null;
  if (!m) return unsupported(layer, `einsum equation "${equation}"`);
  const [, inSpec, wSpec, outSpec] = m;
  const elided = input.length - inSpec.length;
  if (elided < 0 || (form === 0 && elided !== 0) || wSpec.length !== kernel.length) {
    return unsupported(layer, `einsum equation "${equation}" on input [${input}] and kernel [${kernel}]`);
  }
  const left = form === 1;
  const sizes = new Map<string, number | null>();
  [...inSpec].forEach((c, i) => {
    sizes.set(c, input[left ? elided + i : i]);
  });
  [...wSpec].forEach((c, i) => {
    const known = sizes.get(c);
    if (known !== undefined && known !== null && known !== kernel[i])
      unsupported(layer, `kernel [${kernel}] on input [${input}] for "${equation}"`);
    if (known === undefined || known === null) sizes.set(c, kernel[i]);
  });
  const letters = [...outSpec].map((c) => {
    const size = sizes.get(c);
    if (size === undefined) return unsupported(layer, `output axis "${c}" of "${equation}"`);
    return size;
  });
  const ellipsis = left ? input.slice(0, elided) : input.slice(inSpec.length);
  return left ? [...ellipsis, ...letters] : [...letters, ...ellipsis];
}

/**
 * `einsum(equation, x, kernel) + bias`, the projection of EinsumDense (and of MultiHeadAttention's dense
 * sublayers). The stored bias broadcasts from the trailing output axes, as numpy and ONNX broadcast.
 */
export function einsumProject(
  g: GraphBuilder,
  layer: LayerSpec,
  x: Sym,
  equation: string,
  kernel: WeightTensor,
  bias: WeightTensor | null,
): Sym {
  const shape = einsumShape(layer, equation, x.shape, kernel.shape);
  const w = g.constFloat(`${layer.name}_${kernel.name}`, kernel.shape, kernel.data);
  let y = einsum(g, equation, x, { name: w, shape: kernel.shape });
  if (bias) {
    const off = shape.length - bias.shape.length;
    const fits =
      off >= 0 && bias.shape.every((d, i) => d === 1 || shape[off + i] === null || shape[off + i] === d);
    if (!fits) unsupported(layer, `bias [${bias.shape}] on output [${shape}]`);
    y = g.op('Add', [y, g.constFloat(`${layer.name}_${bias.name}`, bias.shape, bias.data)]);
  }
  return { name: y, shape };
}

/**
 * EinsumDense: `activation(einsum(equation, x, kernel) + bias)`, weights `[kernel, bias?]` (bias when
 * `bias_axes` is set). A Keras 3 LoRA layer saves its merged kernel (`save_own_variables`), so `lora_rank`
 * with exactly `[kernel, bias?]` is that merged kernel; separate LoRA factors and quantized kernels are refused.
 */
registerLayer('EinsumDense', ({ g, layer, inputs, model, config: cfg }) => {
  const equation = cfg.string('equation');
  const biasAxes = cfg.raw('bias_axes');
  if (biasAxes !== undefined && biasAxes !== null && typeof biasAxes !== 'string')
    unsupported(layer, `bias_axes ${JSON.stringify(biasAxes)}`);
  const hasBias = typeof biasAxes === 'string';
  const count = hasBias ? 2 : 1;
  requireWeights(layer, count);
  if (layer.weights.length !== count) {
    unsupported(layer, `${layer.weights.length} weights (unmerged LoRA factors or quantized kernels)`);
  }
  if (cfg.has('quantization_config')) unsupported(layer, 'quantization_config');
  const x = inputs[0];
  const y = einsumProject(g, layer, x, equation, layer.weights[0], hasBias ? layer.weights[1] : null);
  checkOutputShape(layer, cfg.raw('output_shape'), y.shape);
  // EinsumDense does not support masking: Keras 3 drops the mask (tf-keras refuses a masked input)
  return {
    outputs: [applyActivationShaped(g, activationName(cfg.raw('activation')), y, model.kerasMajor)],
    masks: [null],
  };
});

/** The configured partial output shape (None entries open) must match the computed one (batch axis dropped). */
function checkOutputShape(layer: LayerSpec, raw: unknown, shape: Shape): void {
  const partial = typeof raw === 'number' ? [raw] : Array.isArray(raw) ? raw : null;
  if (!partial) {
    unsupported(layer, `output_shape ${JSON.stringify(raw)}`);
    return;
  }
  const tail = shape.slice(1);
  const fits = (axes: Shape) => partial.every((d, i) => d === null || axes[i] === null || d === axes[i]);
  // output_shape names the axes after the batch (or, with a leading `...`, the last ones)
  const ok = partial.length <= tail.length && (fits(tail) || fits(tail.slice(tail.length - partial.length)));
  if (!ok) unsupported(layer, `output_shape ${JSON.stringify(raw)} for an output of [${shape}]`);
}
