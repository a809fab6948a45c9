import type { ModelDescription } from '../../keras/model.js';
import { ConfigReader, unsupported } from './config.js';
import { toChannelsFirst, toChannelsLast } from './layout.js';
import { type LayerContext, registerLayer, type Sym } from './registry.js';
import { spatialAxes } from './reshaping.js';

/**
 * UpSampling1D/2D/3D (keras/src/layers/reshaping/up_sampling{1,2,3}d.py). `nearest` is `ops.repeat` along
 * each spatial axis, i.e. ONNX Resize `nearest` with `asymmetric` coordinates and `floor` rounding.
 * UpSampling2D `bilinear` calls `tf.image.resize` (antialias off), which uses half-pixel centers;
 * standalone Keras before 2.4 called TF1's `resize_bilinear` (corner-aligned `asymmetric` coordinates).
 * Like the shape and convolution layers, these do not support masking: their output carries no mask.
 */

/** Whether this model's Keras resized with TF1's legacy `resize_bilinear` (no half-pixel centers). */
function legacyBilinear(model: ModelDescription): boolean {
  if (model.kerasMajor === 1) return true;
  if (model.kerasMajor === 3 || model.kerasVersion.endsWith('-tf')) return false;
  const [major, minor] = model.kerasVersion.split('.').map((p) => Number.parseInt(p, 10));
  return major === 2 && minor < 4;
}

function upsample(
  sizes: number[],
  x: Sym,
  axes: number[],
  g: LayerContext['g'],
  mode: string,
  coord: string,
): Sym {
  const scales = Array(x.shape.length).fill(1);
  const shape = [...x.shape];
  axes.forEach((a, i) => {
    scales[a] = sizes[i];
    const d = x.shape[a];
    shape[a] = d === null ? null : d * sizes[i];
  });
  const attrs = {
    mode: { s: mode },
    coordinate_transformation_mode: { s: coord },
    ...(mode === 'nearest' ? { nearest_mode: { s: 'floor' } } : {}),
  };
  const name = g.op('Resize', [x.name, '', g.constFloat('scales', [scales.length], scales)], attrs);
  return { name, shape };
}

function upSamplingLayer(rank: number) {
  return ({ g, layer, inputs, model }: LayerContext) => {
    const cfg = new ConfigReader(layer);
    const x = inputs[0];
    if (x.shape.length !== rank + 2) unsupported(layer, `input of rank ${x.shape.length}`);
    const sizes =
      rank === 1
        ? [cfg.has('size') ? cfg.number('size') : cfg.number('length', 2)]
        : cfg.tuple('size', rank, Array(rank).fill(2));
    if (sizes.some((s) => !Number.isInteger(s) || s < 1)) unsupported(layer, `size ${JSON.stringify(sizes)}`);
    const channelsFirst = rank === 1 ? false : cfg.channelsFirst();
    const interpolation = rank === 2 ? cfg.string('interpolation', 'nearest') : 'nearest';
    if (interpolation === 'nearest') {
      return {
        masks: [null],
        outputs: [upsample(sizes, x, spatialAxes(x.shape.length, channelsFirst), g, 'nearest', 'asymmetric')],
      };
    }
    if (interpolation !== 'bilinear') unsupported(layer, `interpolation "${interpolation}"`);
    const coord = legacyBilinear(model) ? 'asymmetric' : 'half_pixel';
    const cf = channelsFirst ? x : toChannelsFirst(g, x);
    const y = upsample(sizes, cf, [2, 3], g, 'linear', coord);
    return { masks: [null], outputs: [channelsFirst ? y : toChannelsLast(g, y)] };
  };
}

registerLayer('UpSampling1D', upSamplingLayer(1));
registerLayer('UpSampling2D', upSamplingLayer(2));
registerLayer('UpSampling3D', upSamplingLayer(3));
