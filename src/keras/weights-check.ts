/**
 * How many weights each standard layer has, and shape checks that catch a file whose weights do not fit
 * its architecture (every error names the layer and its class).
 */
import { KerasErrorCode, layerError } from './errors.js';
import { AUGMENTATION_CLASSES } from './known-layers.js';
import type { LayerConfig, LayerSpec, WeightTensor } from './model.js';
import { isObject } from './normalize.js';

const NO_WEIGHTS = new Set([
  'InputLayer',
  'Activation',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
  'Flatten',
  'Reshape',
  'Permute',
  'RepeatVector',
  'Masking',
  'Identity',
  'ActivityRegularization',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Dot',
  'MaxPooling1D',
  'MaxPooling2D',
  'MaxPooling3D',
  'AveragePooling1D',
  'AveragePooling2D',
  'AveragePooling3D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlobalMaxPooling3D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalAveragePooling3D',
  'Cropping1D',
  'Cropping2D',
  'Cropping3D',
  'ZeroPadding1D',
  'ZeroPadding2D',
  'ZeroPadding3D',
  'UpSampling1D',
  'UpSampling2D',
  'UpSampling3D',
  'Rescaling',
  'Resizing',
  'CenterCrop',
  'UnitNormalization',
  // preprocessing: random layers keep no seed state in the saved weights
  ...AUGMENTATION_CLASSES,
  'CategoryEncoding',
  'Hashing',
  'HashedCrossing',
  'RandomCrop',
  'AutoContrast',
  'applications.StochasticDepth',
  'applications.CustomScaleLayer',
]);

const KERNEL_BIAS = new Set([
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'DepthwiseConv1D',
  'DepthwiseConv2D',
  'LocallyConnected1D',
  'LocallyConnected2D',
]);

const RNN_GATES: Readonly<Record<string, number>> = {
  SimpleRNN: 1,
  GRU: 3,
  LSTM: 4,
  CuDNNGRU: 3,
  CuDNNLSTM: 4,
};

function inner(config: LayerConfig, key: string): { className: string; config: LayerConfig } | null {
  const v = config[key];
  if (!isObject(v) || typeof v.class_name !== 'string') return null;
  return { className: v.class_name, config: (isObject(v.config) ? v.config : {}) as LayerConfig };
}

const flag = (v: unknown): number => (v === false ? 0 : 1);

/** The number of weights a layer of this class and config has, or null when the reader does not know. */
export function expectedWeightCount(className: string, config: LayerConfig): number | null {
  if (NO_WEIGHTS.has(className)) return 0;
  if (KERNEL_BIAS.has(className)) return 1 + flag(config.use_bias);
  if (className === 'SeparableConv1D' || className === 'SeparableConv2D') return 2 + flag(config.use_bias);
  if (className === 'Embedding' || className === 'PReLU' || className === 'applications.LayerScale') return 1;
  if (className === 'BatchNormalization') return flag(config.scale) + flag(config.center) + 2;
  if (className === 'LayerNormalization' && config.rms_scaling === true) return 1; // Keras 3: gamma only
  if (className === 'LayerNormalization' || className === 'GroupNormalization') {
    return flag(config.scale) + flag(config.center);
  }
  if (className === 'CuDNNGRU' || className === 'CuDNNLSTM') return 3;
  if (className in RNN_GATES || className.startsWith('ConvLSTM')) return 2 + flag(config.use_bias);
  if (className === 'MultiHeadAttention') {
    const dense = config.use_gate === true ? 5 : 4; // Keras 3 `use_gate` adds a gate projection
    return config.use_bias === false ? dense : 2 * dense;
  }
  // adapted: [mean, variance, count]; with mean/variance in the config: none
  if (className === 'Normalization') return config.mean === undefined || config.mean === null ? 3 : 0;
  // tf.keras keeps an adapted quantile summary as a weight; Keras 3 and given boundaries have none
  if (className === 'Discretization') return Array.isArray(config.bin_boundaries) ? 0 : null;
  // vocabularies live in the config or in assets; only tf_idf keeps weights (its IDF weights, in .keras zips)
  if (className === 'IntegerLookup' || className === 'StringLookup' || className === 'TextVectorization') {
    return config.output_mode === 'tf_idf' || config.output_mode === 'tf-idf' ? null : 0;
  }
  if (className === 'TimeDistributed') {
    const i = inner(config, 'layer');
    return i ? expectedWeightCount(i.className, i.config) : null;
  }
  if (className === 'Bidirectional') {
    const f = inner(config, 'layer');
    const b = inner(config, 'backward_layer') ?? f;
    if (!f || !b) return null;
    const nf = expectedWeightCount(f.className, f.config);
    const nb = expectedWeightCount(b.className, b.config);
    return nf === null || nb === null ? null : nf + nb;
  }
  return null;
}

function mismatch(layer: LayerSpec | { name: string; className: string }, message: string): Error {
  return layerError(KerasErrorCode.WeightMismatch, layer.name, layer.className, message);
}

const fmt = (w: WeightTensor): string => `'${w.name}' [${w.shape}]`;

function checkShapes(name: string, className: string, config: LayerConfig, weights: WeightTensor[]): void {
  const who = { name, className };
  const units = typeof config.units === 'number' ? config.units : null;
  const filters = typeof config.filters === 'number' ? config.filters : null;
  if (className === 'Dense' && weights.length > 0) {
    const k = weights[0];
    if (k.shape.length !== 2 || (units !== null && k.shape[1] !== units)) {
      throw mismatch(who, `kernel ${fmt(k)} does not fit Dense(units=${units}): expected [in, ${units}]`);
    }
    if (weights[1] && (weights[1].shape.length !== 1 || weights[1].shape[0] !== k.shape[1])) {
      throw mismatch(who, `bias ${fmt(weights[1])} does not fit kernel [${k.shape}]`);
    }
  }
  const conv = /^Conv([123])D$/.exec(className);
  if (conv && weights.length > 0) {
    const rank = Number(conv[1]) + 2;
    const k = weights[0];
    if (k.shape.length !== rank || (filters !== null && k.shape[rank - 1] !== filters)) {
      throw mismatch(
        who,
        `kernel ${fmt(k)} does not fit ${className}(filters=${filters}): rank ${rank} expected`,
      );
    }
    if (weights[1] && (weights[1].shape.length !== 1 || weights[1].shape[0] !== k.shape[rank - 1])) {
      throw mismatch(who, `bias ${fmt(weights[1])} does not fit kernel [${k.shape}]`);
    }
  }
  if (className === 'Embedding' && weights.length === 1) {
    const e = weights[0];
    const ok =
      e.shape.length === 2 &&
      (typeof config.input_dim !== 'number' || e.shape[0] === config.input_dim) &&
      (typeof config.output_dim !== 'number' || e.shape[1] === config.output_dim);
    if (!ok)
      throw mismatch(who, `embeddings ${fmt(e)} do not fit [${config.input_dim}, ${config.output_dim}]`);
  }
  if (className === 'BatchNormalization' && weights.length > 0) {
    const n = weights[0].shape;
    for (const w of weights) {
      if (w.shape.length !== 1 || w.shape[0] !== n[0])
        throw mismatch(who, `weight ${fmt(w)} is not a [${n}] vector`);
    }
  }
  if (className === 'applications.LayerScale' && weights.length === 1) {
    const dim = config.projection_dim;
    if (weights[0].shape.length !== 1 || (typeof dim === 'number' && weights[0].shape[0] !== dim))
      throw mismatch(who, `gamma ${fmt(weights[0])} is not a [${String(dim)}] vector`);
  }
  const gates = RNN_GATES[className];
  if (gates !== undefined && units !== null && weights.length >= 2) {
    const [k, r] = weights;
    const width = gates * units;
    if (k.shape.length !== 2 || k.shape[1] !== width) {
      throw mismatch(
        who,
        `kernel ${fmt(k)} does not fit ${className}(units=${units}): expected [in, ${width}]`,
      );
    }
    if (r.shape.length !== 2 || r.shape[0] !== units || r.shape[1] !== width) {
      throw mismatch(who, `recurrent kernel ${fmt(r)} does not fit [${units}, ${width}]`);
    }
  }
  if (className === 'TimeDistributed' || className === 'Bidirectional') {
    const f = inner(config, 'layer');
    if (!f) return;
    if (className === 'TimeDistributed') {
      checkShapes(name, f.className, f.config, weights);
      return;
    }
    const b = inner(config, 'backward_layer') ?? f;
    const half = expectedWeightCount(f.className, f.config);
    if (half === null) return;
    checkShapes(name, f.className, f.config, weights.slice(0, half));
    checkShapes(name, b.className, b.config, weights.slice(half));
  }
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
