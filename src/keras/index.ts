/**
 * The Keras reader: every Keras model format normalized into one {@link ModelDescription}.
 * @module
 */
import type { LayerSpec } from './model.js';

export { KerasErrorCode, type KerasErrorCodeValue } from './errors.js';
export { CODE_LAYERS, isKnownClass, KNOWN_LAYER_CLASSES } from './known-layers.js';
export { type LoadModelOptions, loadModel } from './loader.js';
export type * from './model.js';

/** Number of parameters (weight elements) of a layer, as Keras' `count_params()`. */
export function countParams(layer: Pick<LayerSpec, 'weights'>): number {
  let total = 0;
  for (const w of layer.weights) total += w.shape.reduce((a, b) => a * b, 1);
  return total;
}
