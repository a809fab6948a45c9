import type { BaseLayerConfig, DataFormat, IntOrTuple, LayerFamilyTable } from './descriptor.js';
import { renameKey } from './keras1-renames.js';

export interface FlattenConfig extends BaseLayerConfig {
  data_format?: DataFormat;
}

/** `target_shape` without the batch axis; one entry may be -1. */
export interface ReshapeConfig extends BaseLayerConfig {
  target_shape?: number[];
}

/** 1-based `dims`, without the batch axis. */
export interface PermuteConfig extends BaseLayerConfig {
  dims?: number[];
}

export interface RepeatVectorConfig extends BaseLayerConfig {
  n?: number;
}

/** An int, one int per axis, or a `(begin, end)` pair per axis (Keras 1 ZeroPadding2D: a dict of four pads). */
export type SpatialPairs = number | number[] | number[][] | Record<string, number>;

/** Cropping1D/2D/3D. */
export interface CroppingConfig extends BaseLayerConfig {
  cropping?: SpatialPairs;
  data_format?: DataFormat;
}

/** ZeroPadding1D/2D/3D. */
export interface ZeroPaddingConfig extends BaseLayerConfig {
  padding?: SpatialPairs;
  data_format?: DataFormat;
}

/** UpSampling1D: one int (`length` in Keras 1 files not renamed by the reader). */
export interface UpSampling1DConfig extends BaseLayerConfig {
  size?: number;
  length?: number;
}

/** UpSampling2D/3D (`interpolation` is UpSampling2D's only). */
export interface UpSamplingConfig extends BaseLayerConfig {
  size?: IntOrTuple;
  data_format?: DataFormat;
  interpolation?: string;
}

/** Reshaping layers: no weights. */
export const RESHAPING_FAMILY = {
  Flatten: { weights: 0 },
  Reshape: { weights: 0 },
  Permute: { weights: 0 },
  RepeatVector: { weights: 0 },
  Cropping1D: { weights: 0 },
  Cropping2D: { weights: 0 },
  Cropping3D: { weights: 0 },
  ZeroPadding1D: { weights: 0 },
  ZeroPadding2D: { weights: 0 },
  ZeroPadding3D: { weights: 0 },
  UpSampling1D: { weights: 0, keras1: { convert: (config) => renameKey(config, 'length', 'size') } },
  UpSampling2D: { weights: 0 },
  UpSampling3D: { weights: 0 },
} satisfies LayerFamilyTable;
