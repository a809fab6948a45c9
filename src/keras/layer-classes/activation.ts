import type { BaseLayerConfig, LayerFamilyTable, StoredObject } from './descriptor.js';
import { renameKey } from './keras1-renames.js';

export interface ReLUConfig extends BaseLayerConfig {
  max_value?: number | null;
  negative_slope?: number;
  threshold?: number;
}

/** Keras 2 calls the slope `alpha`, Keras 3 `negative_slope`. */
export interface LeakyReLUConfig extends BaseLayerConfig {
  alpha?: number;
  negative_slope?: number;
}

export interface PReLUConfig extends BaseLayerConfig {
  alpha_initializer?: StoredObject;
  alpha_regularizer?: StoredObject;
  alpha_constraint?: StoredObject;
  shared_axes?: number[] | null;
}

export interface ELUConfig extends BaseLayerConfig {
  alpha?: number;
}

export interface ThresholdedReLUConfig extends BaseLayerConfig {
  theta?: number;
}

export interface SoftmaxConfig extends BaseLayerConfig {
  axis?: number | number[];
}

/** Activation layers (`keras.layers.ReLU`, …). */
export const ACTIVATION_FAMILY = {
  ReLU: { weights: 0 },
  LeakyReLU: { weights: 0 },
  PReLU: {
    weights: 1,
    keras1: { convert: (config) => renameKey(config, 'kernel_initializer', 'alpha_initializer') },
  },
  ELU: { weights: 0 },
  ThresholdedReLU: { weights: 0 },
  Softmax: { weights: 0 },
} satisfies LayerFamilyTable;
