/** Preprocessing layers Keras saves inside models (`keras/src/layers/preprocessing/`). */
import type { LayerConfig } from '../model.js';
import type { BaseLayerConfig, DataFormat, LayerFamilyTable } from './descriptor.js';

/** An array as Keras stores it in a config: a number, nested lists, or Keras 3's `__numpy__` object. */
export type StoredArray = number | unknown[] | Record<string, unknown> | null;

export interface RescalingConfig extends BaseLayerConfig {
  scale?: StoredArray;
  offset?: StoredArray;
}

export interface NormalizationConfig extends BaseLayerConfig {
  axis?: number | number[] | null;
  mean?: StoredArray;
  variance?: StoredArray;
  invert?: boolean;
}

/** Resizing, CenterCrop and RandomCrop (the other keys are Resizing's). */
export interface ImageResizeConfig extends BaseLayerConfig {
  height?: number;
  width?: number;
  data_format?: DataFormat | null;
  interpolation?: string;
  crop_to_aspect_ratio?: boolean;
  pad_to_aspect_ratio?: boolean;
  fill_mode?: string;
  fill_value?: number;
  antialias?: boolean;
  seed?: number | null;
}

/** The output encoding of the categorical and hashing layers. */
export interface EncodedOutputConfig extends BaseLayerConfig {
  output_mode?: string;
  sparse?: boolean;
}

export interface DiscretizationConfig extends EncodedOutputConfig {
  bin_boundaries?: number[] | null;
  num_bins?: number | null;
  epsilon?: number;
}

export interface CategoryEncodingConfig extends EncodedOutputConfig {
  num_tokens?: number | null;
}

/** Hashing (`num_bins` and the output encoding are what it shares with HashedCrossing). */
export interface HashingConfig extends HashedCrossingConfig {
  mask_value?: string | number | null;
  salt?: number | number[] | null;
}

export interface HashedCrossingConfig extends EncodedOutputConfig {
  num_bins?: number;
}

/** What StringLookup, IntegerLookup and TextVectorization share. */
export interface LookupConfig extends EncodedOutputConfig {
  max_tokens?: number | null;
  num_oov_indices?: number;
  pad_to_max_tokens?: boolean;
  invert?: boolean;
  idf_weights?: StoredArray;
  vocabulary_dtype?: string;
}

export interface IntegerLookupConfig extends LookupConfig {
  mask_token?: number | null;
  oov_token?: number;
  /** An inline list (or a file path, refused). */
  vocabulary?: StoredArray | string;
  oov_method?: string;
}

export interface StringLookupConfig extends LookupConfig {
  mask_token?: string | null;
  oov_token?: string;
  /** An inline list, or a file path (refused: the file is not in the model). */
  vocabulary?: string[] | string | null;
  encoding?: string | null;
}

/** `standardize` and `split` are names, or null for none. */
export interface TextVectorizationConfig extends LookupConfig {
  standardize?: string | null;
  split?: string | null;
  ngrams?: number | number[] | null;
  output_sequence_length?: number | null;
  ragged?: boolean;
  vocabulary?: string[] | string | null;
  vocabulary_size?: number;
  encoding?: string | null;
}

/** The image augmentation layers and AutoContrast: the keys the engine reads (each class has more). */
export interface ImageAugmentationConfig extends BaseLayerConfig {
  value_range?: number[];
  data_format?: DataFormat | null;
  seed?: number | null;
}

/** Vocabularies live in the config or in assets; only tf_idf keeps weights (its IDF weights, in .keras zips). */
const lookupWeights = (config: LayerConfig): number | null =>
  config.output_mode === 'tf_idf' || config.output_mode === 'tf-idf' ? null : 0;

export const PREPROCESSING_FAMILY = {
  Rescaling: { weights: 0 },
  // adapted: [mean, variance, count]; with mean/variance in the config: none
  Normalization: { weights: (config) => (config.mean === undefined || config.mean === null ? 3 : 0) },
  Resizing: { weights: 0 },
  CenterCrop: { weights: 0 },
  // tf.keras keeps an adapted quantile summary as a weight; Keras 3 and given boundaries have none
  Discretization: { weights: (config) => (Array.isArray(config.bin_boundaries) ? 0 : null) },
  CategoryEncoding: { weights: 0 },
  Hashing: { weights: 0 },
  HashedCrossing: { weights: 0 },
  StringLookup: { weights: lookupWeights },
  IntegerLookup: { weights: lookupWeights },
  TextVectorization: { weights: lookupWeights },
  MelSpectrogram: { weights: null },
  STFTSpectrogram: { weights: null },
  Pipeline: { weights: null },
  DenseFeatures: { weights: null },
  // RandomCrop and AutoContrast change images at inference (not augmentation layers)
  RandomCrop: { weights: 0 },
  AutoContrast: { weights: 0 },
  ContrastLimitedAdaptiveHistogramEqualization: { weights: null },
} satisfies LayerFamilyTable;

/**
 * Keras' image augmentation layers that `predict` passes through unchanged (random ones run only in training;
 * MaxNumBoundingBoxes pads bounding boxes only, max_num_bounding_box.py). They keep no weights, not even a seed
 * state.
 */
export const AUGMENTATION_FAMILY = {
  RandomFlip: { weights: 0 },
  RandomRotation: { weights: 0 },
  RandomZoom: { weights: 0 },
  RandomTranslation: { weights: 0 },
  RandomContrast: { weights: 0 },
  RandomBrightness: { weights: 0 },
  RandomHeight: { weights: 0 },
  RandomWidth: { weights: 0 },
  RandomGrayscale: { weights: 0 },
  RandomHue: { weights: 0 },
  RandomSaturation: { weights: 0 },
  RandomSharpness: { weights: 0 },
  RandomShear: { weights: 0 },
  RandomColorJitter: { weights: 0 },
  RandomColorDegeneration: { weights: 0 },
  RandomPosterization: { weights: 0 },
  RandomErasing: { weights: 0 },
  RandomGaussianBlur: { weights: 0 },
  RandomInvert: { weights: 0 },
  RandomPerspective: { weights: 0 },
  RandomElasticTransform: { weights: 0 },
  Solarization: { weights: 0 },
  Equalization: { weights: 0 },
  MixUp: { weights: 0 },
  CutMix: { weights: 0 },
  AugMix: { weights: 0 },
  RandAugment: { weights: 0 },
  MaxNumBoundingBoxes: { weights: 0 },
} satisfies LayerFamilyTable;
