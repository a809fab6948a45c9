/** Pooling layers: no weights (the adaptive ones of Keras 3 are not known to the reader). */
import type { BaseLayerConfig, DataFormat, IntOrTuple, LayerFamilyTable } from './descriptor.js';
import { keras1Pooling1D } from './keras1-renames.js';

/** Max/AveragePooling1D/2D/3D. */
export interface PoolingConfig extends BaseLayerConfig {
  pool_size?: IntOrTuple;
  /** null: the pool size. */
  strides?: IntOrTuple | null;
  padding?: 'valid' | 'same';
  data_format?: DataFormat;
}

/** GlobalMax/AveragePooling1D/2D/3D. */
export interface GlobalPoolingConfig extends BaseLayerConfig {
  data_format?: DataFormat;
  keepdims?: boolean;
}

export const POOLING_FAMILY = {
  MaxPooling1D: { aliases: ['MaxPool1D'], weights: 0, keras1: { convert: keras1Pooling1D } },
  MaxPooling2D: { aliases: ['MaxPool2D'], weights: 0 },
  MaxPooling3D: { aliases: ['MaxPool3D'], weights: 0 },
  AveragePooling1D: { aliases: ['AvgPool1D'], weights: 0, keras1: { convert: keras1Pooling1D } },
  AveragePooling2D: { aliases: ['AvgPool2D'], weights: 0 },
  AveragePooling3D: { aliases: ['AvgPool3D'], weights: 0 },
  GlobalMaxPooling1D: { aliases: ['GlobalMaxPool1D'], weights: 0 },
  GlobalMaxPooling2D: { aliases: ['GlobalMaxPool2D'], weights: 0 },
  GlobalMaxPooling3D: { aliases: ['GlobalMaxPool3D'], weights: 0 },
  GlobalAveragePooling1D: { aliases: ['GlobalAvgPool1D'], weights: 0 },
  GlobalAveragePooling2D: { aliases: ['GlobalAvgPool2D'], weights: 0 },
  GlobalAveragePooling3D: { aliases: ['GlobalAvgPool3D'], weights: 0 },
  AdaptiveAveragePooling1D: { weights: null },
  AdaptiveAveragePooling2D: { weights: null },
  AdaptiveAveragePooling3D: { weights: null },
  AdaptiveMaxPooling1D: { weights: null },
  AdaptiveMaxPooling2D: { weights: null },
  AdaptiveMaxPooling3D: { weights: null },
} satisfies LayerFamilyTable;
