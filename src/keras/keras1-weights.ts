/**
 * Keras 1 weight layouts converted to Keras 2 `get_weights()` layouts, as Keras 2's
 * `preprocess_weights_for_loading` (keras/engine/saving.py) did: Theano-ordered conv kernels transposed
 * to (rows, cols, in, out), Theano-backend kernels spatially flipped, per-gate LSTM/GRU weights
 * concatenated in Keras 2 gate order.
 */
import type { LayerConfig, WeightTensor } from './model.js';
import { concatLastAxis, flipSpatial, transpose } from './tensor-ops.js';

const CONV = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose']);

function kernelSize(config: LayerConfig): number[] {
  const k = config.kernel_size;
  return Array.isArray(k) ? (k as number[]) : typeof k === 'number' ? [k] : [];
}

/**
 * Convert one layer's Keras 1 weights. `backend` is the file's backend attribute; when absent,
 * `th` ordering is taken to mean Theano and `tf` ordering TensorFlow.
 */
export function convertKeras1Weights(
  className: string,
  config: LayerConfig,
  weights: WeightTensor[],
  backend: string | null,
): WeightTensor[] {
  let w = [...weights];
  if (w.length === 0) return w;
  if (className === 'Bidirectional' || className === 'TimeDistributed') {
    const inner = config.layer as { class_name: string; config: LayerConfig } | undefined;
    if (!inner) return w;
    if (className === 'TimeDistributed')
      return convertKeras1Weights(inner.class_name, inner.config, w, backend);
    const half = w.length / 2;
    return [
      ...convertKeras1Weights(inner.class_name, inner.config, w.slice(0, half), backend),
      ...convertKeras1Weights(inner.class_name, inner.config, w.slice(half), backend),
    ];
  }
  const channelsFirst = config.data_format === 'channels_first';
  const effectiveBackend = backend ?? (channelsFirst ? 'theano' : 'tensorflow');
  if (className === 'Conv1D') {
    const shape = w[0].shape;
    const k = kernelSize(config)[0];
    if (shape.length === 4) {
      if (shape[0] !== k || shape[1] !== 1 || shape[3] !== config.filters) {
        // legacy (filters, input_dim, filter_length, 1)
        w[0] = transpose(w[0], [2, 3, 1, 0]);
      }
      const s = w[0].shape;
      w[0] = { name: w[0].name, shape: [s[0], s[2], s[3]], data: w[0].data };
    }
  }
  if (
    (className === 'Conv2D' || className === 'SeparableConv2D') &&
    channelsFirst &&
    w[0].shape.length === 4
  ) {
    w[0] = transpose(w[0], [2, 3, 1, 0]);
  }
  if (className === 'Conv2DTranspose' && w[0].shape.length === 4) {
    w[0] = channelsFirst ? transpose(w[0], [2, 3, 0, 1]) : transpose(w[0], [0, 1, 3, 2]);
  }
  if (className === 'Conv3D' && channelsFirst && w[0].shape.length === 5) {
    w[0] = transpose(w[0], [2, 3, 4, 1, 0]);
  }
  if (className === 'GRU' && w.length === 9) {
    w = [
      concatLastAxis([w[0], w[3], w[6]], `${config.name}/kernel`),
      concatLastAxis([w[1], w[4], w[7]], `${config.name}/recurrent_kernel`),
      concatLastAxis([w[2], w[5], w[8]], `${config.name}/bias`),
    ];
  }
  if (className === 'LSTM' && w.length === 12) {
    // Keras 1 order i, c, f, o → Keras 2 order i, f, c, o
    w = [
      concatLastAxis([w[0], w[6], w[3], w[9]], `${config.name}/kernel`),
      concatLastAxis([w[1], w[7], w[4], w[10]], `${config.name}/recurrent_kernel`),
      concatLastAxis([w[2], w[8], w[5], w[11]], `${config.name}/bias`),
    ];
  }
  if (CONV.has(className) && effectiveBackend === 'theano') {
    w[0] = flipSpatial(w[0]);
  }
  return w;
}
