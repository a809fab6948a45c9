/** Attention layers (`keras/src/layers/attention/`). */
import type { BaseLayerConfig, IntOrTuple, KernelBiasSettings, LayerFamilyTable } from './descriptor.js';

/** Attention (`score_mode` dot or concat; tf-keras also `causal`) and AdditiveAttention. */
export interface AttentionConfig extends BaseLayerConfig {
  use_scale?: boolean;
  score_mode?: string;
  dropout?: number;
  causal?: boolean;
  seed?: number | null;
}

/** What MultiHeadAttention and GroupedQueryAttention share: dropout, the projections and Keras 3's options. */
export interface HeadsAttentionConfig extends BaseLayerConfig, KernelBiasSettings {
  dropout?: number;
  use_bias?: boolean;
  /** Keras 3: a gate projection. */
  use_gate?: boolean;
  sliding_window?: number | null;
  flash_attention?: boolean | null;
  seed?: number | null;
}

export interface MultiHeadAttentionConfig extends HeadsAttentionConfig {
  num_heads?: number;
  key_dim?: number;
  value_dim?: number | null;
  output_shape?: IntOrTuple | null;
  attention_axes?: IntOrTuple | null;
  softmax_robust_masking?: boolean;
}

export interface GroupedQueryAttentionConfig extends HeadsAttentionConfig {
  head_dim?: number;
  num_query_heads?: number;
  num_key_value_heads?: number;
}

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
