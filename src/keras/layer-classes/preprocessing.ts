/** Preprocessing layers Keras saves inside models (`keras/src/layers/preprocessing/`). */
import type { LayerConfig } from '../model.js';
import type { LayerFamilyTable } from './descriptor.js';

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
