/**
 * Checks that catch a file whose weights do not fit its architecture: the count each class stores and the
 * shapes of Dense, Conv, Embedding, BatchNormalization and recurrent layers, as their descriptors in
 * `layer-classes/` say (every error names the layer and its class).
 */
import { KerasErrorCode, layerError } from './errors.js';
import { innerLayer, layerClass } from './layer-classes/index.js';
import type { LayerConfig, LayerSpec, WeightTensor } from './model.js';

/** The number of weights a layer of this class and config has, or null when the reader does not know. */
export function expectedWeightCount(className: string, config: LayerConfig): number | null {
  const weights = layerClass(className)?.weights ?? null;
  return typeof weights === 'function' ? weights(config, expectedWeightCount) : weights;
}

function mismatch(layer: { name: string; className: string }, message: string): Error {
  return layerError(KerasErrorCode.WeightMismatch, layer.name, layer.className, message);
}

function checkShapes(name: string, className: string, config: LayerConfig, weights: WeightTensor[]): void {
  if (className === 'TimeDistributed' || className === 'Bidirectional') {
    checkWrappedShapes(name, className, config, weights);
    return;
  }
  const problem = layerClass(className)?.weightShapes?.(weights, config, className) ?? null;
  if (problem !== null) throw mismatch({ name, className }, problem);
}

/** A wrapper's weights are its inner layers' (Bidirectional: the forward layer's, then the backward one's). */
function checkWrappedShapes(
  name: string,
  className: string,
  config: LayerConfig,
  weights: WeightTensor[],
): void {
  const forward = innerLayer(config, 'layer');
  if (!forward) return;
  if (className === 'TimeDistributed') {
    checkShapes(name, forward.className, forward.config, weights);
    return;
  }
  const backward = innerLayer(config, 'backward_layer') ?? forward;
  const half = expectedWeightCount(forward.className, forward.config);
  if (half === null) return;
  checkShapes(name, forward.className, forward.config, weights.slice(0, half));
  checkShapes(name, backward.className, backward.config, weights.slice(half));
}

/**
 * Check a layer's weights against its architecture: the count (when known for the class) and the shapes
 * of Dense, Conv, Embedding, BatchNormalization and recurrent layers (also inside wrappers).
 */
export function checkLayerWeights(layer: LayerSpec): void {
  const expected = expectedWeightCount(layer.className, layer.config);
  if (expected !== null && expected !== layer.weights.length) {
    throw mismatch(
      layer,
      `the file has ${layer.weights.length} weight(s) for this layer, the architecture expects ${expected}`,
    );
  }
  checkShapes(layer.name, layer.className, layer.config, layer.weights);
}
