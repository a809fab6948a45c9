/** Attention layers (`keras/src/layers/attention/`). */
import type { LayerFamilyTable } from './descriptor.js';

export const ATTENTION_FAMILY = {
  Attention: { weights: null },
  AdditiveAttention: { weights: null },
  MultiHeadAttention: {
    weights: (config) => {
      const dense = config.use_gate === true ? 5 : 4; // Keras 3 `use_gate` adds a gate projection
      return config.use_bias === false ? dense : 2 * dense;
    },
  },
  GroupedQueryAttention: { aliases: ['GroupQueryAttention'], weights: null },
} satisfies LayerFamilyTable;
