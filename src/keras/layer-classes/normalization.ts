/** Normalization layers (`keras/src/layers/normalization/`). */
import { describeWeight, flag, type LayerFamilyTable } from './descriptor.js';
import { renameKey } from './keras1-renames.js';

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
