/**
 * Keras 1 layer configs mapped to their Keras 2 meaning, as Keras 2's `keras/legacy/interfaces.py`
 * and `keras/engine/saving.py` did on load (`Convolution2D(nb_filter, nb_row, nb_col, border_mode,
 * subsample, dim_ordering)` → `Conv2D(filters, kernel_size, padding, strides, data_format)`, …). Each class'
 * own renames live in its descriptor (`layer-classes/`); the renames every class shares and `Merge` live here.
 */
import { KERAS_LAYER_CLASSES, type LayerClassDescriptor } from './layer-classes/index.js';
import { renameKey } from './layer-classes/keras1-renames.js';
import type { LayerConfig } from './model.js';

/** Keras 1 class name → the descriptor of the class Keras 2 reads it as (its own name included). */
const KERAS1_SOURCES: ReadonlyMap<string, LayerClassDescriptor> = new Map(
  KERAS_LAYER_CLASSES.filter((d) => d.keras1).flatMap((d) =>
    (d.keras1?.names ?? [d.name]).map((keras1Name) => [keras1Name, d] as const),
  ),
);

/** Keras 1 class names → Keras 2 class names (Merge is handled by {@link convertKeras1Layer}). */
export const KERAS1_CLASS_RENAMES: Readonly<Record<string, string>> = Object.fromEntries(
  [...KERAS1_SOURCES]
    .filter(([keras1Name, d]) => keras1Name !== d.name)
    .map(([keras1Name, d]) => [keras1Name, d.name]),
);

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

function dataFormat(value: unknown): string {
  return value === 'th' ? 'channels_first' : 'channels_last';
}

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

/** The renames Keras 2 applied to every Keras 1 layer config (in place). */
function renameSharedKeys(config: LayerConfig): void {
  renameKey(config, 'input_dtype', 'dtype');
  renameKey(config, 'bias', 'use_bias');
  renameKey(config, 'init', 'kernel_initializer');
  renameKey(config, 'W_regularizer', 'kernel_regularizer');
  renameKey(config, 'b_regularizer', 'bias_regularizer');
  renameKey(config, 'W_constraint', 'kernel_constraint');
  renameKey(config, 'b_constraint', 'bias_constraint');
  renameKey(config, 'border_mode', 'padding');
  if (Object.hasOwn(config, 'dim_ordering')) {
    config.data_format = dataFormat(config.dim_ordering);
    delete config.dim_ordering;
  }
}

/**
 * A Keras 1 `Merge` as the merge layer of its `mode`; a callable mode (not a name) becomes `Lambda`, so that
 * it is refused like one.
 */
function convertMerge(config: LayerConfig): { className: string; config: LayerConfig } {
  const mode = config.mode;
  if (typeof mode !== 'string' || !Object.hasOwn(MERGE_MODES, mode)) return { className: 'Lambda', config };
  if (mode === 'concat') config.axis = config.concat_axis ?? -1;
  if (mode === 'dot' || mode === 'cos') {
    config.axes = config.dot_axes ?? -1;
    config.normalize = mode === 'cos';
  }
  for (const key of [
    'mode',
    'concat_axis',
    'dot_axes',
    'mode_type',
    'output_shape',
    'output_shape_type',
    'output_mask',
    'output_mask_type',
    'arguments',
  ]) {
    delete config[key];
  }
  return { className: MERGE_MODES[mode], config };
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
  renameSharedKeys(config);
  if (className === 'Merge') return convertMerge(config);
  const source = KERAS1_SOURCES.get(className);
  source?.keras1?.convert?.(config);
  return { className: source?.name ?? className, config };
}
