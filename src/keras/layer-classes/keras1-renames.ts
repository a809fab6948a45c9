/**
 * Keras 1 config renames shared by several classes, as Keras 2's `keras/legacy/interfaces.py` applied them.
 */
import type { LayerConfig } from '../model.js';

/** Renames a config key the way Keras 2 did (an existing value under the new name wins). */
export function renameKey(config: LayerConfig, from: string, to: string): void {
  if (Object.hasOwn(config, from)) {
    if (!Object.hasOwn(config, to)) config[to] = config[from];
    delete config[from];
  }
}

const CONSUME_LESS: Readonly<Record<string, number>> = { cpu: 0, mem: 1, gpu: 2 };

/** Dense, SimpleRNN, GRU and LSTM: `output_dim` → `units`, the `inner_*`/`U_*` recurrent names, dropouts. */
export function keras1UnitsAndRecurrent(config: LayerConfig): void {
  renameKey(config, 'output_dim', 'units');
  renameKey(config, 'inner_init', 'recurrent_initializer');
  renameKey(config, 'inner_activation', 'recurrent_activation');
  renameKey(config, 'U_regularizer', 'recurrent_regularizer');
  renameKey(config, 'U_constraint', 'recurrent_constraint');
  renameKey(config, 'dropout_W', 'dropout');
  renameKey(config, 'dropout_U', 'recurrent_dropout');
  if (typeof config.consume_less === 'string') {
    config.implementation = CONSUME_LESS[config.consume_less] ?? 0;
    delete config.consume_less;
  }
}

/** Dropout layers: `p` → `rate`. */
export function keras1DropoutRate(config: LayerConfig): void {
  renameKey(config, 'p', 'rate');
}

/** Keras 1 `Convolution1D`/`AtrousConvolution1D`: lengths become 1-tuples. */
export function keras1Conv1D(config: LayerConfig): void {
  renameKey(config, 'nb_filter', 'filters');
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
}

/** Keras 1 `Convolution2D`, `AtrousConvolution2D`, `Deconvolution2D`, `SeparableConvolution2D`. */
export function keras1Conv2D(config: LayerConfig): void {
  renameKey(config, 'nb_filter', 'filters');
  if (Object.hasOwn(config, 'nb_row') || Object.hasOwn(config, 'nb_col')) {
    config.kernel_size = [config.nb_row, config.nb_col];
    delete config.nb_row;
    delete config.nb_col;
  }
  renameKey(config, 'subsample', 'strides');
  renameKey(config, 'atrous_rate', 'dilation_rate');
  delete config.output_shape;
}

/** Keras 1 `Convolution3D`. */
export function keras1Conv3D(config: LayerConfig): void {
  renameKey(config, 'nb_filter', 'filters');
  if (Object.hasOwn(config, 'kernel_dim1')) {
    config.kernel_size = [config.kernel_dim1, config.kernel_dim2, config.kernel_dim3];
    delete config.kernel_dim1;
    delete config.kernel_dim2;
    delete config.kernel_dim3;
  }
  renameKey(config, 'subsample', 'strides');
}

/** Keras 1 `MaxPooling1D`/`AveragePooling1D`: `pool_length`, `stride` become 1-tuples. */
export function keras1Pooling1D(config: LayerConfig): void {
  if (Object.hasOwn(config, 'pool_length')) {
    config.pool_size = [config.pool_length];
    delete config.pool_length;
  }
  if (Object.hasOwn(config, 'stride')) {
    config.strides = config.stride === null ? null : [config.stride];
    delete config.stride;
  }
}
