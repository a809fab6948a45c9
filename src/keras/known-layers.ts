/**
 * The standard Keras layer classes (Keras 2, tf.keras 2.x and Keras 3 `keras.layers`, plus the model
 * classes and Keras 1 names that the loader renames). A class outside these sets is a custom class and is
 * refused at load. Whether the engine can *compile* a class is the engine's decision, not this list's.
 *
 * Source: `dir(keras.layers)` of Keras 3.15 and tf-keras 2.21, and Keras 1.2 `keras/layers/*.py`.
 */

/**
 * Layer classes that run arbitrary Python code: always refused, their config is never decoded. (tf.keras'
 * `TFOpLambda`/`SlicingOpLambda` store a TF function's name and arguments, no code: see tf-ops.ts.)
 */
export const CODE_LAYERS: ReadonlySet<string> = new Set([
  'Lambda',
  'TFSMLayer',
  'TorchModuleWrapper',
  'JaxLayer',
  'FlaxLayer',
]);

/** Classes that are models; used as a layer they are flattened into the parent graph. */
export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Sequential', 'Functional', 'Model']);

/** Wrappers whose config holds an inner `layer` (and Bidirectional an optional `backward_layer`). */
export const WRAPPER_CLASSES: ReadonlySet<string> = new Set(['Bidirectional', 'TimeDistributed']);

/** Aliases Keras accepts for the same class, mapped to the canonical name. */
export const CLASS_ALIASES: Readonly<Record<string, string>> = {
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  AvgPool3D: 'AveragePooling3D',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  MaxPool3D: 'MaxPooling3D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalAvgPool3D: 'GlobalAveragePooling3D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalMaxPool3D: 'GlobalMaxPooling3D',
  Convolution1DTranspose: 'Conv1DTranspose',
  Convolution2DTranspose: 'Conv2DTranspose',
  Convolution3DTranspose: 'Conv3DTranspose',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
  GroupQueryAttention: 'GroupedQueryAttention',
};

/** Canonical Keras 2/3 layer class names accepted at load. */
export const KNOWN_LAYER_CLASSES: ReadonlySet<string> = new Set([
  // core
  'InputLayer',
  'Dense',
  'EinsumDense',
  'Activation',
  'Embedding',
  'ReversibleEmbedding',
  'Masking',
  'Identity',
  'Flatten',
  'Reshape',
  'Permute',
  'RepeatVector',
  'ActivityRegularization',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
  // activations
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
  // convolution
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'SeparableConv1D',
  'SeparableConv2D',
  'DepthwiseConv1D',
  'DepthwiseConv2D',
  'LocallyConnected1D',
  'LocallyConnected2D',
  'Cropping1D',
  'Cropping2D',
  'Cropping3D',
  'ZeroPadding1D',
  'ZeroPadding2D',
  'ZeroPadding3D',
  'UpSampling1D',
  'UpSampling2D',
  'UpSampling3D',
  // pooling
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
  'AdaptiveAveragePooling1D',
  'AdaptiveAveragePooling2D',
  'AdaptiveAveragePooling3D',
  'AdaptiveMaxPooling1D',
  'AdaptiveMaxPooling2D',
  'AdaptiveMaxPooling3D',
  // normalization
  'BatchNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'UnitNormalization',
  'RMSNormalization',
  'SpectralNormalization',
  // merging
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Dot',
  // attention
  'Attention',
  'AdditiveAttention',
  'MultiHeadAttention',
  'GroupedQueryAttention',
  // recurrent
  'RNN',
  'SimpleRNN',
  'GRU',
  'LSTM',
  'SimpleRNNCell',
  'GRUCell',
  'LSTMCell',
  'StackedRNNCells',
  'ConvLSTM1D',
  'ConvLSTM2D',
  'ConvLSTM3D',
  'CuDNNGRU',
  'CuDNNLSTM',
  // wrappers
  'Bidirectional',
  'TimeDistributed',
  // preprocessing (Keras saves them inside models)
  'Rescaling',
  'Normalization',
  'Resizing',
  'CenterCrop',
  'Discretization',
  'CategoryEncoding',
  'Hashing',
  'HashedCrossing',
  'StringLookup',
  'IntegerLookup',
  'TextVectorization',
  'MelSpectrogram',
  'STFTSpectrogram',
  'Pipeline',
  'DenseFeatures',
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomContrast',
  'RandomCrop',
  'RandomTranslation',
  'RandomHeight',
  'RandomWidth',
  'RandomBrightness',
  'RandomColorDegeneration',
  'RandomColorJitter',
  'RandomElasticTransform',
  'RandomErasing',
  'RandomGaussianBlur',
  'RandomGrayscale',
  'RandomHue',
  'RandomInvert',
  'RandomPerspective',
  'RandomPosterization',
  'RandomSaturation',
  'RandomSharpness',
  'RandomShear',
  'AugMix',
  'AutoContrast',
  'CutMix',
  'Equalization',
  'MixUp',
  'RandAugment',
  'Solarization',
  'MaxNumBoundingBoxes',
  'ContrastLimitedAdaptiveHistogramEqualization',
]);

/** Standard activation function names (`activation` / `recurrent_activation` values). */
export const KNOWN_ACTIVATIONS: ReadonlySet<string> = new Set([
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softmax',
  'log_softmax',
  'softplus',
  'softsign',
  'elu',
  'selu',
  'gelu',
  'swish',
  'silu',
  'exponential',
  'leaky_relu',
  'mish',
  'hard_swish',
  'hard_silu',
  'celu',
  'glu',
  'hard_tanh',
  'log_sigmoid',
  'soft_shrink',
  'hard_shrink',
  'tanh_shrink',
  'sparse_plus',
  'sparsemax',
  'squareplus',
  'threshold',
  'sparse_sigmoid',
]);

/** The canonical name of a class (aliases resolved), unchanged when it has no alias. */
export function canonicalClass(className: string): string {
  return CLASS_ALIASES[className] ?? className;
}

/** Whether a (canonical) class is a standard Keras layer, wrapper or model class. */
export function isKnownClass(className: string): boolean {
  return KNOWN_LAYER_CLASSES.has(className) || MODEL_CLASSES.has(className);
}

/**
 * Layer classes that `keras.applications` define in their own modules (not in `keras.layers`) and save inside
 * the models they build: ConvNeXt's `LayerScale` and `StochasticDepth`, InceptionResNetV2's `CustomScaleLayer`
 * (Keras 3.15 `keras/src/applications/{convnext,inception_resnet_v2}.py`, tf-keras 2.21 the same under
 * `tf_keras/src/applications`). They are Keras' own, not custom: the engine names them `applications.<Class>`.
 *
 * A `.keras` config names their module (`keras.src.applications.convnext`); an `.h5` config has only the class
 * name (tf-keras registers `CustomScaleLayer` as `Custom>CustomScaleLayer`), so there the config must also hold
 * exactly the keys of that class' `get_config()` (`params`, plus the base `name`, `trainable`, `dtype`).
 */
export const APPLICATION_CLASSES: Readonly<
  Record<string, { module: string; storedNames: readonly string[]; params: readonly string[] }>
> = {
  'applications.LayerScale': {
    module: 'convnext',
    storedNames: ['LayerScale'],
    params: ['init_values', 'projection_dim'],
  },
  'applications.StochasticDepth': {
    module: 'convnext',
    storedNames: ['StochasticDepth'],
    params: ['drop_path_rate'],
  },
  'applications.CustomScaleLayer': {
    module: 'inception_resnet_v2',
    storedNames: ['CustomScaleLayer', 'Custom>CustomScaleLayer'],
    params: ['scale'],
  },
};

const BASE_LAYER_KEYS: ReadonlySet<string> = new Set(['name', 'trainable', 'dtype']);

/**
 * The engine's class name (`applications.LayerScale`) for a stored entry of a `keras.applications` layer
 * class, or null when the entry is not one (see {@link APPLICATION_CLASSES}).
 */
export function applicationClass(
  className: string,
  module: unknown,
  registeredName: unknown,
  config: Record<string, unknown>,
): string | null {
  for (const [canonical, spec] of Object.entries(APPLICATION_CLASSES)) {
    if (!spec.storedNames.includes(className)) continue;
    if (typeof module === 'string') {
      const re = new RegExp(`^(tf_)?keras(\\.src)?\\.applications\\.${spec.module}$`);
      const registered =
        registeredName === undefined || registeredName === null || registeredName === className;
      return re.test(module) && registered && !className.includes('>') ? canonical : null;
    }
    const keys = Object.keys(config);
    const exact =
      spec.params.every((p) => keys.includes(p)) &&
      keys.every((k) => BASE_LAYER_KEYS.has(k) || spec.params.includes(k));
    return exact ? canonical : null;
  }
  return null;
}

/**
 * Keras' image augmentation layers that `predict` passes through unchanged (random ones run only in training;
 * MaxNumBoundingBoxes pads bounding boxes only). They keep no weights. RandomCrop and AutoContrast are not here:
 * they change images at inference.
 */
export const AUGMENTATION_CLASSES: readonly string[] = [
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomTranslation',
  'RandomContrast',
  'RandomBrightness',
  'RandomHeight',
  'RandomWidth',
  'RandomGrayscale',
  'RandomHue',
  'RandomSaturation',
  'RandomSharpness',
  'RandomShear',
  'RandomColorJitter',
  'RandomColorDegeneration',
  'RandomPosterization',
  'RandomErasing',
  'RandomGaussianBlur',
  'RandomInvert',
  'RandomPerspective',
  'RandomElasticTransform',
  'Solarization',
  'Equalization',
  'MixUp',
  'CutMix',
  'AugMix',
  'RandAugment',
  // not random: pads bounding boxes only, images pass through (max_num_bounding_box.py)
  'MaxNumBoundingBoxes',
];
