/**
 * The one internal description every Keras format is normalized into (HDF5 from Keras 1/2/tf.keras/Keras 3,
 * Keras 3 `.keras` zips, weights-only files with an architecture JSON). The engine compiles only this.
 *
 * Conventions (as tfjs-layers does): configs keep Keras names and snake_case keys, already mapped to their
 * Keras 2 meaning at load (Keras 1 `Convolution2D(nb_filter, border_mode, ...)` becomes
 * `Conv2D(filters, padding, ...)`), with nested objects (Keras 3 activation/initializer/dtype objects)
 * reduced to plain values where the engine needs them.
 */

/** A shape with the batch axis first; `null` where Keras leaves a dimension open. */
export type Shape = (number | null)[];

/** One weight array, row-major (C order) float32, as Keras' `get_weights()` returns it. */
export interface WeightTensor {
  /** The weight's name in the file (`dense_1/kernel:0`, `layers/dense/vars/0`, `dense_1_W`), for messages. */
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Which output of which call of a layer a tensor is (Keras' `[layer_name, node_index, tensor_index]`). */
export interface TensorRef {
  layer: string;
  nodeIndex: number;
  tensorIndex: number;
  /** The tensor's Keras dtype where the file records it (Keras 3 `__keras_tensor__` entries). */
  dtype?: string;
}

/**
 * Keras 3 operations recorded in a functional graph (`x + 3.0`, `keras.ops.sum(x, axis=1)`) and tf.keras 2
 * `TFOpLambda`/`SlicingOpLambda` calls are op layers: their class name is the Keras op class behind this
 * prefix (`ops.Add`), so an op can never be taken for the layer of the same name (`keras.layers.Add`).
 */
export const OP_CLASS_PREFIX = 'ops.';

export const isOpClass = (className: string): boolean => className.startsWith(OP_CLASS_PREFIX);

/**
 * One call of a layer in a functional graph: the tensors it consumed, and keyword arguments (e.g. `mask`).
 * Tensors passed as keyword arguments appear in `kwargs` as {@link TensorRef} objects. Where the file records
 * the positional arguments as written (Keras 3 nodes, translated TF ops), `args` keeps them in order,
 * constants included (`x + 3.0` is `[ref, 3]`), with tensors as TensorRefs.
 */
export interface InboundNode {
  inputs: TensorRef[];
  kwargs: Record<string, unknown>;
  args?: unknown[];
}

/** A layer's config as stored by Keras (snake_case keys), normalized to Keras 2 meaning. */
export type LayerConfig = Record<string, unknown>;

export interface LayerSpec {
  /** The layer's unique name in the model (`dense_1`). */
  name: string;
  /** The canonical Keras 2/3 class name (`Conv2D`, `LSTM`, `Bidirectional`...). */
  className: string;
  config: LayerConfig;
  /**
   * One entry per call of the layer. For a Sequential model the loader fills these in as a chain
   * (each layer called once on the previous layer's output), so the engine only ever sees graphs.
   * Empty for an `InputLayer`.
   */
  inbound: InboundNode[];
  /**
   * The layer's weights in `get_weights()` order: Dense `[kernel, bias]`, Conv `[kernel, bias]`,
   * BatchNormalization `[gamma?, beta?, moving_mean, moving_variance]`, LSTM/GRU/SimpleRNN
   * `[kernel, recurrent_kernel, bias]`, Bidirectional `[...forward, ...backward]`, Embedding `[embeddings]`,
   * SeparableConv `[depthwise, pointwise, bias?]`, PReLU `[alpha]`. Keras 1 layouts are converted at load.
   */
  weights: WeightTensor[];
}

export interface ModelInput {
  /**
   * Name of the InputLayer in `layers` that this input feeds. For a Sequential model saved without one,
   * the loader synthesizes an InputLayer named `<first layer>_input` (as tf.keras does).
   */
  name: string;
  /** Shape with the batch axis first (`null`) and any open axes as `null`. */
  shape: Shape;
  /** Keras dtype of the input (`float32`, `int32`...). Records are always read as numbers. */
  dtype: string;
}

export interface ModelOutput {
  /** Name of the output layer. */
  name: string;
  ref: TensorRef;
}

export type ModelFormat =
  | 'keras1-h5'
  | 'keras2-h5'
  | 'tf-keras-h5'
  | 'keras3-h5'
  | 'keras3-zip'
  | 'weights-h5+json';

export interface ModelDescription {
  name: string;
  format: ModelFormat;
  /** `keras_version` as written in the file (`1.2.2`, `2.2.4-tf`, `3.4.1`); `unknown` when absent. */
  kerasVersion: string;
  /** Major Keras version whose semantics apply (e.g. `hard_sigmoid`): 1, 2 or 3. */
  kerasMajor: 1 | 2 | 3;
  /** The Keras backend the file was saved from (`tensorflow`, `theano`), or null when not recorded. */
  backend: string | null;
  /** `Sequential`, `Functional` or `Model` as in the file. */
  modelClass: string;
  /** Layers in the config's order (topological for every format Keras writes). */
  layers: LayerSpec[];
  inputs: ModelInput[];
  outputs: ModelOutput[];
}
