/** Normalization layers (`keras/src/layers/normalization/`). */
import {
  type BaseLayerConfig,
  describeWeight,
  flag,
  type LayerFamilyTable,
  type StoredObject,
} from './descriptor.js';
import { renameKey } from './keras1-renames.js';
import type { WrappedLayerConfig } from './wrappers.js';

/** SpectralNormalization wraps a layer with a kernel; `power_iterations` serve training only. */
export interface SpectralNormalizationConfig extends BaseLayerConfig {
  layer?: WrappedLayerConfig;
  power_iterations?: number;
}

/** The learned scale and offset of BatchNormalization, LayerNormalization and GroupNormalization. */
export interface ScaleCenterConfig {
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  beta_initializer?: StoredObject;
  gamma_initializer?: StoredObject;
}

export interface BatchNormalizationConfig extends BaseLayerConfig, ScaleCenterConfig {
  axis?: number | number[];
  momentum?: number;
  moving_mean_initializer?: StoredObject;
  moving_variance_initializer?: StoredObject;
  /** Keras 1 only: 0 (feature-wise) is the only mode Keras 2 kept. */
  mode?: number;
}

export interface LayerNormalizationConfig extends BaseLayerConfig, ScaleCenterConfig {
  axis?: number | number[];
  /** Keras 3: scale by the root mean square only (no centering, gamma only). */
  rms_scaling?: boolean;
}

export interface GroupNormalizationConfig extends BaseLayerConfig, ScaleCenterConfig {
  groups?: number;
  axis?: number;
}

export interface UnitNormalizationConfig extends BaseLayerConfig {
  axis?: number | number[];
}

export interface RMSNormalizationConfig extends BaseLayerConfig {
  axis?: number | number[];
  epsilon?: number;
}

export const NORMALIZATION_FAMILY = {
  BatchNormalization: {
    // [gamma?, beta?, moving_mean, moving_variance]
    weights: (config) => flag(config.scale) + flag(config.center) + 2,
    weightShapes: (weights) => {
      if (weights.length === 0) return null;
      const n = weights[0].shape;
      const odd = weights.find((w) => w.shape.length !== 1 || w.shape[0] !== n[0]);
      return odd ? `weight ${describeWeight(odd)} is not a [${n}] vector` : null;
    },
    keras1: {
      convert: (config) => {
        renameKey(config, 'beta_init', 'beta_initializer');
        renameKey(config, 'gamma_init', 'gamma_initializer');
        if (config.center === undefined) config.center = true;
        if (config.scale === undefined) config.scale = true;
      },
    },
  },
  LayerNormalization: {
    // Keras 3 `rms_scaling` keeps gamma only
    weights: (config) => (config.rms_scaling === true ? 1 : flag(config.scale) + flag(config.center)),
  },
  GroupNormalization: { weights: (config) => flag(config.scale) + flag(config.center) },
  UnitNormalization: { weights: 0 },
  RMSNormalization: { weights: null },
  SpectralNormalization: { weights: null },
} satisfies LayerFamilyTable;
