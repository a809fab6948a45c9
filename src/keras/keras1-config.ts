/**
 * Keras 1 layer configs mapped to their Keras 2 meaning, as Keras 2's `keras/legacy/interfaces.py`
 * and `keras/engine/saving.py` did on load (`Convolution2D(nb_filter, nb_row, nb_col, border_mode,
 * subsample, dim_ordering)` → `Conv2D(filters, kernel_size, padding, strides, data_format)`, …).
 */
import type { LayerConfig } from './model.js';

/** Keras 1 class names → Keras 2 class names (Merge is handled by {@link convertKeras1Layer}). */
export const KERAS1_CLASS_RENAMES: Readonly<Record<string, string>> = {
  Convolution1D: 'Conv1D',
  AtrousConvolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  AtrousConvolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  Deconvolution2D: 'Conv2DTranspose',
  SeparableConvolution2D: 'SeparableConv2D',
};

/** Keras 1 classes that Keras 2 removed and that cannot be mapped to a Keras 2 layer. */
export const KERAS1_REMOVED: ReadonlySet<string> = new Set([
  'Highway',
  'MaxoutDense',
  'TimeDistributedDense',
  'SReLU',
  'ParametricSoftplus',
  'AutoEncoder',
]);

const MERGE_MODES: Readonly<Record<string, string>> = {
  sum: 'Add',
  mul: 'Multiply',
  ave: 'Average',
  max: 'Maximum',
  concat: 'Concatenate',
  dot: 'Dot',
  cos: 'Dot',
};

function rename(config: LayerConfig, from: string, to: string): void {
  if (Object.hasOwn(config, from)) {
    if (!Object.hasOwn(config, to)) config[to] = config[from];
    delete config[from];
  }
}

function dataFormat(value: unknown): string {
  return value === 'th' ? 'channels_first' : 'channels_last';
}

const CONSUME_LESS: Readonly<Record<string, number>> = { cpu: 0, mem: 1, gpu: 2 };

/** Whether a config looks like Keras 1 (it uses one of the parameter names Keras 2 renamed). */
export function looksLikeKeras1(className: string, config: LayerConfig): boolean {
  if (Object.hasOwn(KERAS1_CLASS_RENAMES, className) || className === 'Merge') return true;
  return [
    'dim_ordering',
    'border_mode',
    'nb_filter',
    'output_dim',
    'subsample',
    'input_dtype',
    'W_regularizer',
  ].some((k) => Object.hasOwn(config, k) && !(k === 'output_dim' && className === 'Embedding'));
}

/**
 * Convert one Keras 1 layer to Keras 2 names and meaning. Returns a new config; unknown keys are kept.
 * `Merge` becomes `Add`/`Multiply`/`Average`/`Maximum`/`Concatenate`/`Dot` from its `mode`; a Merge with
 * a callable mode returns className `Lambda` so that it is refused like one.
 */
export function convertKeras1Layer(
  className: string,
  original: LayerConfig,
): { className: string; config: LayerConfig } {
  const config: LayerConfig = { ...original };
  let cls = KERAS1_CLASS_RENAMES[className] ?? className;
  rename(config, 'input_dtype', 'dtype');
  rename(config, 'bias', 'use_bias');
  rename(config, 'init', 'kernel_initializer');
  rename(config, 'W_regularizer', 'kernel_regularizer');
  rename(config, 'b_regularizer', 'bias_regularizer');
  rename(config, 'W_constraint', 'kernel_constraint');
  rename(config, 'b_constraint', 'bias_constraint');
  rename(config, 'border_mode', 'padding');
  if (Object.hasOwn(config, 'dim_ordering')) {
    config.data_format = dataFormat(config.dim_ordering);
    delete config.dim_ordering;
  }
  switch (className) {
    case 'Dense':
    case 'SimpleRNN':
    case 'GRU':
    case 'LSTM':
      rename(config, 'output_dim', 'units');
      rename(config, 'inner_init', 'recurrent_initializer');
      rename(config, 'inner_activation', 'recurrent_activation');
      rename(config, 'U_regularizer', 'recurrent_regularizer');
      rename(config, 'U_constraint', 'recurrent_constraint');
      rename(config, 'dropout_W', 'dropout');
      rename(config, 'dropout_U', 'recurrent_dropout');
      if (typeof config.consume_less === 'string') {
        config.implementation = CONSUME_LESS[config.consume_less] ?? 0;
        delete config.consume_less;
      }
      if (className === 'LSTM' && Object.hasOwn(config, 'forget_bias_init')) {
        config.unit_forget_bias = config.forget_bias_init === 'one';
        delete config.forget_bias_init;
      }
      if (className === 'Dense' && config.use_bias === undefined) config.use_bias = true;
      break;
    case 'Embedding':
      rename(config, 'kernel_initializer', 'embeddings_initializer');
      rename(config, 'kernel_regularizer', 'embeddings_regularizer');
      rename(config, 'kernel_constraint', 'embeddings_constraint');
      delete config.dropout;
      break;
    case 'Convolution1D':
    case 'AtrousConvolution1D':
      rename(config, 'nb_filter', 'filters');
      if (Object.hasOwn(config, 'filter_length')) {
        config.kernel_size = [config.filter_length];
        delete config.filter_length;
      }
      if (Object.hasOwn(config, 'subsample_length')) {
        config.strides = [config.subsample_length];
        delete config.subsample_length;
      }
      if (Object.hasOwn(config, 'atrous_rate')) {
        config.dilation_rate = [config.atrous_rate];
        delete config.atrous_rate;
      }
      break;
    case 'Convolution2D':
    case 'AtrousConvolution2D':
    case 'Deconvolution2D':
    case 'SeparableConvolution2D':
      rename(config, 'nb_filter', 'filters');
      if (Object.hasOwn(config, 'nb_row') || Object.hasOwn(config, 'nb_col')) {
        config.kernel_size = [config.nb_row, config.nb_col];
        delete config.nb_row;
        delete config.nb_col;
      }
      rename(config, 'subsample', 'strides');
      rename(config, 'atrous_rate', 'dilation_rate');
      delete config.output_shape;
      break;
    case 'Convolution3D':
      rename(config, 'nb_filter', 'filters');
      if (Object.hasOwn(config, 'kernel_dim1')) {
        config.kernel_size = [config.kernel_dim1, config.kernel_dim2, config.kernel_dim3];
        delete config.kernel_dim1;
        delete config.kernel_dim2;
        delete config.kernel_dim3;
      }
      rename(config, 'subsample', 'strides');
      break;
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      if (Object.hasOwn(config, 'pool_length')) {
        config.pool_size = [config.pool_length];
        delete config.pool_length;
      }
      if (Object.hasOwn(config, 'stride')) {
        config.strides = config.stride === null ? null : [config.stride];
        delete config.stride;
      }
      break;
    case 'UpSampling1D':
      rename(config, 'length', 'size');
      break;
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'SpatialDropout3D':
    case 'GaussianDropout':
      rename(config, 'p', 'rate');
      break;
    case 'GaussianNoise':
      rename(config, 'sigma', 'stddev');
      break;
    case 'PReLU':
      rename(config, 'kernel_initializer', 'alpha_initializer');
      break;
    case 'BatchNormalization':
      rename(config, 'beta_init', 'beta_initializer');
      rename(config, 'gamma_init', 'gamma_initializer');
      if (config.center === undefined) config.center = true;
      if (config.scale === undefined) config.scale = true;
      break;
    case 'Merge': {
      const mode = config.mode;
      if (typeof mode !== 'string' || !Object.hasOwn(MERGE_MODES, mode)) {
        cls = 'Lambda';
        break;
      }
      cls = MERGE_MODES[mode];
      if (mode === 'concat') config.axis = config.concat_axis ?? -1;
      if (mode === 'dot' || mode === 'cos') {
        config.axes = config.dot_axes ?? -1;
        config.normalize = mode === 'cos';
      }
      delete config.mode;
      delete config.concat_axis;
      delete config.dot_axes;
      delete config.mode_type;
      delete config.output_shape;
      delete config.output_shape_type;
      delete config.output_mask;
      delete config.output_mask_type;
      delete config.arguments;
      break;
    }
    default:
      break;
  }
  return { className: cls, config };
}
