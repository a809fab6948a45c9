/**
 * The stored config of each class whose config is typed (as tfjs-layers' `keras_format/` types them): keys as
 * Keras writes them, after the reader's normalization (Keras 1 names renamed, activations reduced to names,
 * dtype policies to dtypes). Every key is optional: older files omit some, and the engine applies Keras'
 * defaults. The values are read through the engine's checked `ConfigReader`, so a config that does not fit its
 * type is refused with a clear error, never trusted.
 */
import type { LayerConfig } from '../model.js';
import type {
  ELUConfig,
  LeakyReLUConfig,
  PReLUConfig,
  ReLUConfig,
  SoftmaxConfig,
  ThresholdedReLUConfig,
} from './activation.js';
import type { CustomScaleLayerConfig, LayerScaleConfig, StochasticDepthConfig } from './applications.js';
import type { AttentionConfig, GroupedQueryAttentionConfig, MultiHeadAttentionConfig } from './attention.js';
import type {
  ConvConfig,
  ConvTransposeConfig,
  DepthwiseConvConfig,
  SeparableConvConfig,
} from './convolution.js';
import type {
  ActivationConfig,
  ActivityRegularizationConfig,
  DenseConfig,
  DropoutConfig,
  EinsumDenseConfig,
  EmbeddingConfig,
  IdentityConfig,
  InputLayerConfig,
  MaskingConfig,
} from './core.js';
import type { FamilyClassName, KnownClassName } from './index.js';
import type {
  PositionEmbeddingConfig,
  SinePositionEncodingConfig,
  TokenAndPositionEmbeddingConfig,
  TransformerEncoderConfig,
} from './keras-hub.js';
import type { ConcatenateConfig, DotConfig, ElementwiseMergeConfig } from './merging.js';
import type {
  BatchNormalizationConfig,
  GroupNormalizationConfig,
  LayerNormalizationConfig,
  RMSNormalizationConfig,
  SpectralNormalizationConfig,
  UnitNormalizationConfig,
} from './normalization.js';
import type { GlobalPoolingConfig, PoolingConfig } from './pooling.js';
import type {
  CategoryEncodingConfig,
  DiscretizationConfig,
  HashedCrossingConfig,
  HashingConfig,
  ImageAugmentationConfig,
  ImageResizeConfig,
  IntegerLookupConfig,
  NormalizationConfig,
  RescalingConfig,
  StringLookupConfig,
  TextVectorizationConfig,
} from './preprocessing.js';
import type { ConvLSTMConfig, RecurrentConfig, RNNConfig } from './recurrent.js';
import type {
  CroppingConfig,
  FlattenConfig,
  PermuteConfig,
  RepeatVectorConfig,
  ReshapeConfig,
  UpSampling1DConfig,
  UpSamplingConfig,
  ZeroPaddingConfig,
} from './reshaping.js';
import type { BidirectionalConfig, TimeDistributedConfig } from './wrappers.js';

/** The augmentation layers (identity in predict): one config type for all. */
type AugmentationConfigs = Record<FamilyClassName<'augmentation'>, ImageAugmentationConfig>;

/** Class name → its stored config type. A key that is not a layer class name is a compile error. */
export interface TypedLayerConfigs extends AugmentationConfigs {
  // core
  InputLayer: InputLayerConfig;
  Dense: DenseConfig;
  EinsumDense: EinsumDenseConfig;
  Activation: ActivationConfig;
  Dropout: DropoutConfig;
  SpatialDropout1D: DropoutConfig;
  SpatialDropout2D: DropoutConfig;
  SpatialDropout3D: DropoutConfig;
  GaussianDropout: DropoutConfig;
  GaussianNoise: DropoutConfig;
  AlphaDropout: DropoutConfig;
  ActivityRegularization: ActivityRegularizationConfig;
  Identity: IdentityConfig;
  Flatten: FlattenConfig;
  Reshape: ReshapeConfig;
  Permute: PermuteConfig;
  RepeatVector: RepeatVectorConfig;
  Cropping1D: CroppingConfig;
  Cropping2D: CroppingConfig;
  Cropping3D: CroppingConfig;
  ZeroPadding1D: ZeroPaddingConfig;
  ZeroPadding2D: ZeroPaddingConfig;
  ZeroPadding3D: ZeroPaddingConfig;
  UpSampling1D: UpSampling1DConfig;
  UpSampling2D: UpSamplingConfig;
  UpSampling3D: UpSamplingConfig;
  Add: ElementwiseMergeConfig;
  Subtract: ElementwiseMergeConfig;
  Multiply: ElementwiseMergeConfig;
  Average: ElementwiseMergeConfig;
  Maximum: ElementwiseMergeConfig;
  Minimum: ElementwiseMergeConfig;
  Concatenate: ConcatenateConfig;
  Dot: DotConfig;
  Embedding: EmbeddingConfig;
  Masking: MaskingConfig;
  // activation layers
  ReLU: ReLUConfig;
  LeakyReLU: LeakyReLUConfig;
  PReLU: PReLUConfig;
  ELU: ELUConfig;
  ThresholdedReLU: ThresholdedReLUConfig;
  Softmax: SoftmaxConfig;
  // convolution
  Conv1D: ConvConfig;
  Conv2D: ConvConfig;
  Conv3D: ConvConfig;
  Conv1DTranspose: ConvTransposeConfig;
  Conv2DTranspose: ConvTransposeConfig;
  Conv3DTranspose: ConvTransposeConfig;
  DepthwiseConv1D: DepthwiseConvConfig;
  DepthwiseConv2D: DepthwiseConvConfig;
  SeparableConv1D: SeparableConvConfig;
  SeparableConv2D: SeparableConvConfig;
  // pooling
  MaxPooling1D: PoolingConfig;
  MaxPooling2D: PoolingConfig;
  MaxPooling3D: PoolingConfig;
  AveragePooling1D: PoolingConfig;
  AveragePooling2D: PoolingConfig;
  AveragePooling3D: PoolingConfig;
  GlobalMaxPooling1D: GlobalPoolingConfig;
  GlobalMaxPooling2D: GlobalPoolingConfig;
  GlobalMaxPooling3D: GlobalPoolingConfig;
  GlobalAveragePooling1D: GlobalPoolingConfig;
  GlobalAveragePooling2D: GlobalPoolingConfig;
  GlobalAveragePooling3D: GlobalPoolingConfig;
  // normalization
  BatchNormalization: BatchNormalizationConfig;
  LayerNormalization: LayerNormalizationConfig;
  GroupNormalization: GroupNormalizationConfig;
  UnitNormalization: UnitNormalizationConfig;
  RMSNormalization: RMSNormalizationConfig;
  SpectralNormalization: SpectralNormalizationConfig;
  // attention
  Attention: AttentionConfig;
  AdditiveAttention: AttentionConfig;
  MultiHeadAttention: MultiHeadAttentionConfig;
  GroupedQueryAttention: GroupedQueryAttentionConfig;
  // recurrent
  SimpleRNN: RecurrentConfig;
  GRU: RecurrentConfig;
  LSTM: RecurrentConfig;
  CuDNNGRU: RecurrentConfig;
  CuDNNLSTM: RecurrentConfig;
  RNN: RNNConfig;
  ConvLSTM1D: ConvLSTMConfig;
  ConvLSTM2D: ConvLSTMConfig;
  ConvLSTM3D: ConvLSTMConfig;
  // wrappers
  Bidirectional: BidirectionalConfig;
  TimeDistributed: TimeDistributedConfig;
  // preprocessing
  Rescaling: RescalingConfig;
  Normalization: NormalizationConfig;
  Resizing: ImageResizeConfig;
  CenterCrop: ImageResizeConfig;
  RandomCrop: ImageResizeConfig;
  AutoContrast: ImageAugmentationConfig;
  ContrastLimitedAdaptiveHistogramEqualization: ImageAugmentationConfig;
  Discretization: DiscretizationConfig;
  CategoryEncoding: CategoryEncodingConfig;
  IntegerLookup: IntegerLookupConfig;
  StringLookup: StringLookupConfig;
  TextVectorization: TextVectorizationConfig;
  Hashing: HashingConfig;
  HashedCrossing: HashedCrossingConfig;
  // keras.applications classes
  'applications.LayerScale': LayerScaleConfig;
  'applications.StochasticDepth': StochasticDepthConfig;
  'applications.CustomScaleLayer': CustomScaleLayerConfig;
  // keras_hub modeling classes
  'keras_hub.PositionEmbedding': PositionEmbeddingConfig;
  'keras_hub.SinePositionEncoding': SinePositionEncodingConfig;
  'keras_hub.TokenAndPositionEmbedding': TokenAndPositionEmbeddingConfig;
  'keras_hub.TransformerEncoder': TransformerEncoderConfig;
}

/** Compiles only when every key of {@link TypedLayerConfigs} is a known class name (`applications.*` included). */
type OnlyClassNames<Names extends KnownClassName> = Names;

/** The classes whose stored config is typed. */
export type TypedConfigClassName = OnlyClassNames<keyof TypedLayerConfigs>;

/** The stored config type of a class: its typed config, or any JSON object for the classes not typed yet. */
export type ConfigOf<N extends string> = N extends TypedConfigClassName ? TypedLayerConfigs[N] : LayerConfig;
