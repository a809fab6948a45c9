import { AUGMENTATION_CLASS_NAMES } from '../../keras/layer-classes/index.js';
import { unsupported } from './config.js';
import { registerLayer } from './registry.js';

/**
 * Augmentation layers that pass images through unchanged in `model.predict` (training=False). Checked one by
 * one in Keras 3.15 (`keras/src/layers/preprocessing/image_preprocessing/*.py`: `transform_images` or
 * `get_random_transformation` do nothing when not training, Solarization and Equalization included) and
 * tf_keras 2.21 (`image_preprocessing.py`: `smart_cond(training, ..., lambda: inputs)`). A call with
 * `training=True` is refused by the compiler (call-check.ts). RandomCrop is not here: it is not the identity
 * in tf_keras (preprocessing-image.ts).
 */

registerLayer(AUGMENTATION_CLASS_NAMES, ({ inputs }) => ({ outputs: [inputs[0]] }), {
  identityAtInference: true,
});

/** `value_range` of an image layer: two finite numbers, low < high. */
function valueRange(layer: Parameters<typeof unsupported>[0]): [number, number] {
  const v = layer.config.value_range;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    return unsupported(layer, `value_range ${JSON.stringify(v)}`);
  }
  return [v[0] as number, v[1] as number];
}

/**
 * AutoContrast is not random and applies in predict (auto_contrast.py): per image and channel,
 * `clip((x' - min) * 255 / (max - min), 0, 255)` on `x'` = x mapped from `value_range` to [0, 255], mapped
 * back; where the result is NaN (a constant channel) the input is kept. Float32 steps as Keras takes them:
 * `_transform_value_range` is `(x - lo) / (hi - lo) * (255 - 0) + 0`, then `x * scale + offset` with
 * `scale = 255 / (high - low)` and `offset = -low * scale`.
 */
registerLayer('AutoContrast', ({ g, layer, inputs, config }) => {
  const x = inputs[0];
  if (x.shape.length !== 4) unsupported(layer, `an input of rank ${x.shape.length}`);
  if (config.channelsFirst()) unsupported(layer, 'data_format channels_first');
  const [lo, hi] = valueRange(layer);
  const c = (name: string, v: number) => g.constFloat(`${layer.name}_${name}`, [], [v]);
  const toRange = (t: string, from: [number, number], to: [number, number]): string => {
    if (from[0] === to[0] && from[1] === to[1]) return t;
    const f = Math.fround;
    const span = (r: [number, number]) => f(f(r[1]) - f(r[0]));
    const scaled = g.op('Div', [g.op('Sub', [t, c('lo', from[0])]), c('span', span(from))]);
    return g.op('Add', [g.op('Mul', [scaled, c('to_span', span(to))]), c('to_lo', to[0])]);
  };
  const img = toRange(x.name, [lo, hi], [0, 255]);
  const low = g.op('ReduceMin', [img], { axes: { ints: [1, 2] }, keepdims: { i: 1 } });
  const high = g.op('ReduceMax', [img], { axes: { ints: [1, 2] }, keepdims: { i: 1 } });
  const scale = g.op('Div', [c('full', 255), g.op('Sub', [high, low])]);
  const offset = g.op('Mul', [g.op('Neg', [low]), scale]);
  const stretched = g.op('Add', [g.op('Mul', [img, scale]), offset]);
  const clipped = g.op('Clip', [stretched, c('zero', 0), c('max', 255)]);
  const result = toRange(clipped, [0, 255], [lo, hi]);
  // a constant channel gives 0 * inf or inf - inf: NaN before the clip, whose NaN handling is not relied on
  const y = g.op('Where', [g.op('IsNaN', [stretched]), x.name, result]);
  return { outputs: [{ name: y, shape: x.shape }] };
});

/** Layers that change images in predict and are not converted: refused with the reason. */
registerLayer('ContrastLimitedAdaptiveHistogramEqualization', ({ layer }) =>
  unsupported(layer, 'CLAHE (it applies in predict, with per-tile histograms)'),
);
