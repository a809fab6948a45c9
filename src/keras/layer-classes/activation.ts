import type { LayerFamilyTable } from './descriptor.js';
import { renameKey } from './keras1-renames.js';

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
