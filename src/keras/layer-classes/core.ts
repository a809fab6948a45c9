/** Core layers: inputs, Dense, embeddings, masking and the training-only layers (identity in predict). */
import {
  type BaseLayerConfig,
  describeWeight,
  type KernelBiasConfig,
  type KernelBiasSettings,
  kernelAndBias,
  type LayerFamilyTable,
  type StoredObject,
} from './descriptor.js';
import { keras1DropoutRate, keras1UnitsAndRecurrent, renameKey } from './keras1-renames.js';

export interface InputLayerConfig extends BaseLayerConfig {
  batch_input_shape?: (number | null)[];
  sparse?: boolean;
  ragged?: boolean;
}

export interface DenseConfig extends BaseLayerConfig, KernelBiasConfig {
  units?: number;
}

export interface ActivationConfig extends BaseLayerConfig {
  activation?: string;
}

export interface EmbeddingConfig extends BaseLayerConfig {
  input_dim?: number;
  output_dim?: number;
  mask_zero?: boolean;
  /** Keras 3 LoRA: refused unless merged into the saved embeddings. */
  lora_rank?: number | null;
  embeddings_initializer?: StoredObject;
  embeddings_regularizer?: StoredObject;
  embeddings_constraint?: StoredObject;
  input_length?: number | null;
}

export interface MaskingConfig extends BaseLayerConfig {
  mask_value?: number;
}

/** EinsumDense (`bias_axes` names the kernel's output letters that get a bias). */
export interface EinsumDenseConfig extends BaseLayerConfig, KernelBiasSettings {
  equation?: string;
  output_shape?: number | (number | null)[];
  activation?: string | null;
  bias_axes?: string | null;
  /** Keras 3 LoRA and quantization: refused unless merged into the saved kernel. */
  lora_rank?: number | null;
  quantization_config?: Record<string, unknown> | null;
}

/** Identity (Keras 3): nothing beyond the base keys. */
export type IdentityConfig = BaseLayerConfig;

/** ActivityRegularization: its penalties serve training only. */
export interface ActivityRegularizationConfig extends BaseLayerConfig {
  l1?: number;
  l2?: number;
}

/** Dropout, SpatialDropout*, GaussianDropout, AlphaDropout (and GaussianNoise's `stddev`). */
export interface DropoutConfig extends BaseLayerConfig {
  rate?: number;
  stddev?: number;
  noise_shape?: (number | null)[] | null;
  seed?: number | null;
}

export const CORE_FAMILY = {
  InputLayer: { weights: 0 },
  Dense: {
    weights: kernelAndBias,
    weightShapes: ([kernel, bias], config) => {
      const units = typeof config.units === 'number' ? config.units : null;
      if (!kernel) return null;
      if (kernel.shape.length !== 2 || (units !== null && kernel.shape[1] !== units)) {
        return `kernel ${describeWeight(kernel)} does not fit Dense(units=${units}): expected [in, ${units}]`;
      }
      if (bias && (bias.shape.length !== 1 || bias.shape[0] !== kernel.shape[1])) {
        return `bias ${describeWeight(bias)} does not fit kernel [${kernel.shape}]`;
      }
      return null;
    },
    keras1: {
      convert: (config) => {
        keras1UnitsAndRecurrent(config);
        if (config.use_bias === undefined) config.use_bias = true;
      },
    },
  },
  EinsumDense: { weights: null },
  Activation: { weights: 0 },
  Embedding: {
    weights: 1,
    weightShapes: (weights, config) => {
      if (weights.length !== 1) return null;
      const e = weights[0];
      const fits =
        e.shape.length === 2 &&
        (typeof config.input_dim !== 'number' || e.shape[0] === config.input_dim) &&
        (typeof config.output_dim !== 'number' || e.shape[1] === config.output_dim);
      return fits
        ? null
        : `embeddings ${describeWeight(e)} do not fit [${config.input_dim}, ${config.output_dim}]`;
    },
    keras1: {
      convert: (config) => {
        renameKey(config, 'kernel_initializer', 'embeddings_initializer');
        renameKey(config, 'kernel_regularizer', 'embeddings_regularizer');
        renameKey(config, 'kernel_constraint', 'embeddings_constraint');
        delete config.dropout;
      },
    },
  },
  ReversibleEmbedding: { weights: null },
  Masking: { weights: 0 },
  // TFDIdentity: what FeatureSpace saves for a feature passed through as is
  Identity: { aliases: ['TFDIdentity'], weights: 0 },
  ActivityRegularization: { weights: 0 },
  Dropout: { weights: 0, keras1: { convert: keras1DropoutRate } },
  SpatialDropout1D: { weights: 0, keras1: { convert: keras1DropoutRate } },
  SpatialDropout2D: { weights: 0, keras1: { convert: keras1DropoutRate } },
  SpatialDropout3D: { weights: 0, keras1: { convert: keras1DropoutRate } },
  GaussianDropout: { weights: 0, keras1: { convert: keras1DropoutRate } },
  GaussianNoise: { weights: 0, keras1: { convert: (config) => renameKey(config, 'sigma', 'stddev') } },
  AlphaDropout: { weights: 0 },
} satisfies LayerFamilyTable;
