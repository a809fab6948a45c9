/**
 * The modeling layers of keras_hub (formerly keras_nlp) that users put in their own functional models
 * (keras_hub 0.32 `keras_hub/src/layers/modeling/*.py`). They are registered classes of that package, not
 * `keras.layers`: the reader accepts one only when the stored entry says it is keras_hub's (see
 * `kerasHubClass` in `known-layers.ts`); a class of the same name from anywhere else stays a custom class.
 * The engine names them `keras_hub.<Class>`.
 *
 * Weights, in the order a Keras 3 legacy `.h5` lists them (the `.keras` reader collects them in that order):
 * TokenAndPositionEmbedding `[token embeddings, (reverse embeddings when not tied), position embeddings]`,
 * TransformerEncoder `[query k/b, key k/b, value k/b, attention output k/b, self-attention norm gamma/beta,
 * feed-forward norm gamma/beta, intermediate dense k/b, output dense k/b]`.
 */
import type { BaseLayerConfig, LayerClassInfo, StoredObject } from './descriptor.js';

/** `PositionEmbedding`: a learned `[sequence_length, hidden]` table. */
export interface PositionEmbeddingConfig extends BaseLayerConfig {
  sequence_length?: number;
  initializer?: StoredObject;
}

/** `SinePositionEncoding`. */
export interface SinePositionEncodingConfig extends BaseLayerConfig {
  max_wavelength?: number;
}

/** `TokenAndPositionEmbedding`: a ReversibleEmbedding of tokens plus a PositionEmbedding. */
export interface TokenAndPositionEmbeddingConfig extends BaseLayerConfig {
  vocabulary_size?: number;
  sequence_length?: number;
  embedding_dim?: number;
  embeddings_initializer?: StoredObject;
  tie_weights?: boolean;
  mask_zero?: boolean;
}

/** `TransformerEncoder`. */
export interface TransformerEncoderConfig extends BaseLayerConfig {
  intermediate_dim?: number;
  num_heads?: number;
  dropout?: number;
  /** An activation name (reduced as every layer's `activation`). */
  activation?: string;
  layer_norm_epsilon?: number;
  kernel_initializer?: StoredObject;
  bias_initializer?: StoredObject;
  normalize_first?: boolean;
}

export interface KerasHubClassInfo extends LayerClassInfo {
  /** The module under `keras_hub.src.layers.modeling` (`keras_nlp.src.layers.modeling`) defining the class. */
  readonly module: string;
  /** The Python class name. */
  readonly pythonName: string;
}

export const KERAS_HUB_FAMILY = {
  'keras_hub.PositionEmbedding': {
    module: 'position_embedding',
    pythonName: 'PositionEmbedding',
    weights: 1,
  },
  'keras_hub.SinePositionEncoding': {
    module: 'sine_position_encoding',
    pythonName: 'SinePositionEncoding',
    weights: 0,
  },
  'keras_hub.TokenAndPositionEmbedding': {
    module: 'token_and_position_embedding',
    pythonName: 'TokenAndPositionEmbedding',
    weights: (config) => (config.tie_weights === false ? 3 : 2),
  },
  'keras_hub.TransformerEncoder': {
    module: 'transformer_encoder',
    pythonName: 'TransformerEncoder',
    weights: 16,
  },
} satisfies Readonly<Record<string, KerasHubClassInfo>>;
