import type { UpSampling1DConfig, UpSamplingConfig } from '../../keras/layer-classes/reshaping.js';
import type { LayerSpec, ModelDescription } from '../../keras/model.js';
import { unsupported } from './config.js';
import { toChannelsFirst, toChannelsLast } from './layout.js';
import {
  type LayerContext,
  type LayerResult,
  registerLayer,
  type Sym,
  type TypedLayerContext,
} from './registry.js';
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

function checkInputRank(layer: LayerSpec, x: Sym, rank: number): void {
  if (x.shape.length !== rank + 2) unsupported(layer, `input of rank ${x.shape.length}`);
}

function checkSizes(layer: LayerSpec, sizes: number[]): void {
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) unsupported(layer, `size ${JSON.stringify(sizes)}`);
}

function upSampled(
  { g, layer, inputs, model }: LayerContext,
  sizes: number[],
  channelsFirst: boolean,
  interpolation: string,
): LayerResult {
  const x = inputs[0];
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
}

/** UpSampling1D: `size` is one int. */
function upSampling1D(ctx: TypedLayerContext<UpSampling1DConfig>): LayerResult {
  const cfg = ctx.config;
  checkInputRank(ctx.layer, ctx.inputs[0], 1);
  const sizes = [cfg.has('size') ? cfg.number('size') : cfg.number('length', 2)];
  checkSizes(ctx.layer, sizes);
  return upSampled(ctx, sizes, false, 'nearest');
}

/** UpSampling2D/3D: `size` is an int or one per spatial axis. */
function upSamplingLayer(rank: number) {
  return (ctx: TypedLayerContext<UpSamplingConfig>): LayerResult => {
    const cfg = ctx.config;
    checkInputRank(ctx.layer, ctx.inputs[0], rank);
    const sizes = cfg.tuple('size', rank, Array(rank).fill(2));
    checkSizes(ctx.layer, sizes);
    const channelsFirst = cfg.channelsFirst();
    const interpolation = rank === 2 ? cfg.string('interpolation', 'nearest') : 'nearest';
    return upSampled(ctx, sizes, channelsFirst, interpolation);
  };
}

registerLayer('UpSampling1D', upSampling1D);
registerLayer('UpSampling2D', upSamplingLayer(2));
registerLayer('UpSampling3D', upSamplingLayer(3));
