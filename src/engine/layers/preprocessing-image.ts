import type { LayerSpec, ModelDescription } from '../../keras/model.js';
import type { Attr, GraphBuilder } from '../onnx/graph-builder.js';
import { unsupported } from './config.js';
import { toChannelsFirst, toChannelsLast } from './layout.js';
import { RESIZE_METHODS, resizeNhwc } from './preprocessing-resize.js';
import { registerLayer, type Sym } from './registry.js';

/** A batch of images `[N, H, W, C]` (channels-last) with static H and W; converts channels-first inputs. */
function imagesNhwc(g: GraphBuilder, layer: LayerSpec, x: Sym, channelsFirst: boolean, open = false): Sym {
  if (x.shape.length !== 4)
    unsupported(layer, `an input of rank ${x.shape.length} (a batch of images is rank 4)`);
  const nhwc = channelsFirst ? toChannelsLast(g, x) : x;
  if (!open && (nhwc.shape[1] === null || nhwc.shape[2] === null)) {
    unsupported(layer, `images of open height or width [${x.shape}] (the resize is built for a static size)`);
  }
  return nhwc;
}

const back = (g: GraphBuilder, y: Sym, channelsFirst: boolean): Sym =>
  channelsFirst ? toChannelsFirst(g, y) : y;

/** `x[:, top:top+h, left:left+w, :]`. */
function cropNhwc(g: GraphBuilder, x: Sym, top: number, left: number, h: number, w: number): Sym {
  const [inH, inW] = [x.shape[1] as number, x.shape[2] as number];
  if (top === 0 && left === 0 && h === inH && w === inW) return x;
  const y = g.op('Slice', [
    x.name,
    g.constInt64('crop_starts', [top, left]),
    g.constInt64('crop_ends', [top + h, left + w]),
    g.constInt64('crop_axes', [1, 2]),
  ]);
  return { name: y, shape: [x.shape[0], h, w, x.shape[3]] };
}

/**
 * The centred crop to the target aspect ratio that `smart_resize` and Resizing(crop_to_aspect_ratio) take
 * (keras/src/utils/image_utils.py, keras/src/backend/tensorflow/image.py `resize`).
 */
function cropToAspect(g: GraphBuilder, x: Sym, th: number, tw: number): Sym {
  const [h, w] = [x.shape[1] as number, x.shape[2] as number];
  const ch = Math.max(Math.min(h, Math.trunc((w * th) / tw)), 1);
  const cw = Math.max(Math.min(w, Math.trunc((h * tw) / th)), 1);
  return cropNhwc(g, x, Math.trunc((h - ch) / 2), Math.trunc((w - cw) / 2), ch, cw);
}

/** Keras' `smart_resize`: crop to the aspect ratio, then a bilinear resize. */
function smartResize(g: GraphBuilder, x: Sym, th: number, tw: number, base: string): Sym {
  return resizeNhwc(g, cropToAspect(g, x, th, tw), th, tw, 'bilinear', base);
}

/**
 * A resize of images whose size is only known when the model runs, with ONNX Resize: bilinear is TF's
 * ResizeBilinear (half-pixel centres, positions clamped to the image) and nearest TF's ResizeNearestNeighbor
 * (`tf_half_pixel_for_nn`, floor). Other methods need per-size weights: refused.
 */
function resizeOpenSize(g: GraphBuilder, layer: LayerSpec, x: Sym, th: number, tw: number, method: string) {
  if (method !== 'bilinear' && method !== 'nearest') {
    unsupported(layer, `interpolation "${method}" on images of open height or width [${x.shape}]`);
  }
  if (layer.config.antialias === true) unsupported(layer, 'antialias on images of open height or width');
  const nchw = g.op('Transpose', [x.name], { perm: { ints: [0, 3, 1, 2] } });
  const batchAndChannels = g.op('Slice', [
    g.op('Shape', [nchw]),
    g.constInt64('zero', [0]),
    g.constInt64('two', [2]),
  ]);
  const sizes = g.op('Concat', [batchAndChannels, g.constInt64(`${layer.name}_size`, [th, tw])], {
    axis: { i: 0 },
  });
  const attrs: Record<string, Attr> =
    method === 'bilinear'
      ? { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } }
      : {
          mode: { s: 'nearest' },
          coordinate_transformation_mode: { s: 'tf_half_pixel_for_nn' },
          nearest_mode: { s: 'floor' },
        };
  const y = g.op('Resize', [nchw, '', '', sizes], attrs);
  const out = g.op('Transpose', [y], { perm: { ints: [0, 2, 3, 1] } });
  return { name: out, shape: [x.shape[0], th, tw, x.shape[3]] };
}

/**
 * Resizing (keras/src/layers/preprocessing/image_preprocessing/resizing.py and the TF backend's
 * `image.resize`; tf_keras image_preprocessing.py): optional crop or constant pad to the target aspect ratio,
 * then `tf.image.resize` (every method, `antialias` too). Images of open size: bilinear and nearest without
 * a crop or pad only. Refused: a `fill_mode` other than constant (the TF backend raises).
 */
registerLayer('Resizing', ({ g, layer, inputs, config: cfg }) => {
  const th = cfg.number('height');
  const tw = cfg.number('width');
  const method = cfg.string('interpolation', 'bilinear');
  if (!RESIZE_METHODS.includes(method)) unsupported(layer, `interpolation "${method}"`);
  const crop = cfg.bool('crop_to_aspect_ratio', false);
  const pad = cfg.bool('pad_to_aspect_ratio', false);
  if (crop && pad) unsupported(layer, 'both crop_to_aspect_ratio and pad_to_aspect_ratio');
  const fillMode = cfg.string('fill_mode', 'constant');
  if (fillMode !== 'constant') unsupported(layer, `fill_mode "${fillMode}"`);
  const cf = cfg.channelsFirst();
  const s = inputs[0].shape;
  const open = s.length === 4 && (cf ? [s[2], s[3]] : [s[1], s[2]]).some((d) => d === null);
  if (open && !crop && !pad) {
    const y = resizeOpenSize(g, layer, imagesNhwc(g, layer, inputs[0], cf, true), th, tw, method);
    return { outputs: [back(g, y, cf)] };
  }
  let x = imagesNhwc(g, layer, inputs[0], cf);
  if (crop) x = cropToAspect(g, x, th, tw);
  if (pad) {
    const [h, w] = [x.shape[1] as number, x.shape[2] as number];
    const ph = Math.max(h, Math.trunc((w * th) / tw));
    const pw = Math.max(w, Math.trunc((h * tw) / th));
    const top = Math.trunc((ph - h) / 2);
    const left = Math.trunc((pw - w) / 2);
    if (top > 0 && left > 0) unsupported(layer, 'padding both height and width'); // TF's concat would fail
    if (top > 0 || left > 0) {
      const fill = g.constFloat(`${layer.name}_fill`, [], [cfg.number('fill_value', 0)]);
      const pads = g.constInt64('pads', [0, top, left, 0, 0, top, left, 0]);
      const y = g.op('Pad', [x.name, pads, fill], { mode: { s: 'constant' } });
      x = { name: y, shape: [x.shape[0], h + 2 * top, w + 2 * left, x.shape[3]] };
    }
  }
  const y = resizeNhwc(g, x, th, tw, method, layer.name, cfg.bool('antialias', false));
  return { outputs: [back(g, y, cf)] };
});

/** The file's Keras `major.minor`, or null when the version is not recorded. */
function version(model: ModelDescription): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(model.kerasVersion);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** tf.keras before 2.7 asserted CenterCrop inputs at least the target and resized-then-cropped in RandomCrop. */
function smartResizeAtInference(model: ModelDescription): boolean {
  const v = version(model);
  return model.kerasMajor >= 3 || (v !== null && (v[0] > 2 || (v[0] === 2 && v[1] >= 7)));
}

/**
 * CenterCrop (keras/src/layers/preprocessing/image_preprocessing/center_crop.py; tf_keras 2.7+ the same): a
 * centred crop when the image is at least the target size on both axes, otherwise `smart_resize` to the
 * target (a crop to the aspect ratio, then a bilinear resize; older tf.keras raised instead: refused).
 */
registerLayer('CenterCrop', ({ g, layer, inputs, model, config: cfg }) => {
  const th = cfg.number('height');
  const tw = cfg.number('width');
  const cf = cfg.channelsFirst();
  const x = imagesNhwc(g, layer, inputs[0], cf);
  const [h, w] = [x.shape[1] as number, x.shape[2] as number];
  if (h >= th && w >= tw) {
    const top = Math.floor((h - th) / 2);
    return { outputs: [back(g, cropNhwc(g, x, top, Math.floor((w - tw) / 2), th, tw), cf)] };
  }
  if (!smartResizeAtInference(model)) {
    unsupported(layer, `[${x.shape}] images smaller than ${th}x${tw} in a Keras ${model.kerasVersion} file`);
  }
  return { outputs: [back(g, smartResize(g, x, th, tw, layer.name), cf)] };
});

/**
 * RandomCrop in predict (training=False). tf_keras 2.7+: `smart_resize` to the target size, whatever the input
 * size. Keras 3.15: the images pass through unchanged (random_crop.py `transform_images` crops only when
 * training, keras-team/keras#21868). Other releases (older tf.keras resized then cropped; other Keras 3
 * releases may crop) are refused unless the input already has the target size, where all agree.
 */
registerLayer('RandomCrop', ({ g, layer, inputs, model, config: cfg }) => {
  const th = cfg.number('height');
  const tw = cfg.number('width');
  const x = inputs[0];
  const cf = model.kerasMajor >= 3 && cfg.channelsFirst();
  const hw = cf ? x.shape.slice(2, 4) : x.shape.slice(1, 3);
  if (hw[0] === th && hw[1] === tw) return { outputs: [x] };
  const v = version(model);
  if (model.kerasMajor >= 3 && v?.[0] === 3 && v[1] === 15) return { outputs: [x] };
  if (model.kerasMajor >= 3 || !smartResizeAtInference(model)) {
    unsupported(
      layer,
      `a ${th}x${tw} crop of [${x.shape}] images in a Keras ${model.kerasVersion} file (its predict behaviour differs across releases; Keras 3.15 and tf.keras 2.7+ are supported)`,
    );
  }
  return { outputs: [smartResize(g, imagesNhwc(g, layer, x, false), th, tw, layer.name)] };
});
