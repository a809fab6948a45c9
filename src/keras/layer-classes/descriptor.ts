/**
 * What the reader knows about one standard Keras layer class, in one place: its aliases, how it was named and
 * configured in Keras 1, and how many weights (of which shapes) it stores. Each family file
 * (`core.ts`, `convolution.ts`, …) holds a table of these keyed by class name; `index.ts` joins them and
 * derives the lists the loader checks against.
 */
import type { LayerConfig, WeightTensor } from '../model.js';

/** Counts the weights of another (wrapped) layer, for the rules of wrappers. */
export type WeightCounter = (className: string, config: LayerConfig) => number | null;

/**
 * How many weight arrays a layer of the class stores: a fixed count, a rule on its config, or null when the
 * reader cannot tell (the count is then not checked).
 */
export type WeightArity = number | null | ((config: LayerConfig, countOf: WeightCounter) => number | null);

/**
 * Checks the shapes of a layer's weights (already of the expected count) against its config: the mismatch
 * to report, or null when they fit.
 */
export type WeightShapeCheck = (
  weights: readonly WeightTensor[],
  config: LayerConfig,
  className: string,
) => string | null;

/** How Keras 2 read a Keras 1 config of the class (`keras/legacy/interfaces.py`). */
export interface Keras1Source {
  /** The Keras 1 class names of this class when they differ (`Convolution2D`, `AtrousConvolution2D` for Conv2D). */
  readonly names?: readonly string[];
  /**
   * Renames of a config stored under one of those names (or the class' own name when there are none), after
   * the renames every class shares (`border_mode` → `padding`, …). Changes the config in place.
   */
  readonly convert?: (config: LayerConfig) => void;
}

/** One class' entry in its family table (the key is the class name). */
export interface LayerClassInfo {
  /** Other names Keras accepts for the class (`MaxPool2D` for MaxPooling2D). */
  readonly aliases?: readonly string[];
  readonly weights: WeightArity;
  readonly weightShapes?: WeightShapeCheck;
  readonly keras1?: Keras1Source;
}

/** A family table: class name → what is known of it. */
export type LayerFamilyTable = Readonly<Record<string, LayerClassInfo>>;

/** A weight count rule's helper: 0 for `false`, 1 otherwise (Keras' `use_bias`, `scale`, `center` default on). */
export const flag = (v: unknown): number => (v === false ? 0 : 1);

/** `[kernel, bias?]` (Dense, Conv*, DepthwiseConv*, LocallyConnected*). */
export const kernelAndBias = (config: LayerConfig): number => 1 + flag(config.use_bias);

/** `[kernel, recurrent_kernel, bias?]` (SimpleRNN, GRU, LSTM, ConvLSTM*). */
export const recurrentKernels = (config: LayerConfig): number => 2 + flag(config.use_bias);

/** A weight's name and shape, for mismatch messages. */
export const describeWeight = (w: WeightTensor): string => `'${w.name}' [${w.shape}]`;

/** Keys every stored layer config has (`Layer.get_config()`), after the reader's normalization. */
export interface BaseLayerConfig {
  name?: string;
  trainable?: boolean;
  /** A dtype name (Keras 3 dtype policies are reduced to one). */
  dtype?: string | null;
}

/** A tuple Keras also accepts as one int (`3` for `(3, 3)`). */
export type IntOrTuple = number | number[];

export type DataFormat = 'channels_last' | 'channels_first';

/** An initializer, regularizer or constraint: a name or a Keras config object, kept as stored. */
export type StoredObject = string | Record<string, unknown> | null;

/** The keys Keras stores for the kernel and bias of Dense, convolutions and their kin. */
/** The initializer, regularizer and constraint keys of a layer with a kernel and a bias. */
export interface KernelBiasSettings {
  kernel_initializer?: StoredObject;
  bias_initializer?: StoredObject;
  kernel_regularizer?: StoredObject;
  bias_regularizer?: StoredObject;
  activity_regularizer?: StoredObject;
  kernel_constraint?: StoredObject;
  bias_constraint?: StoredObject;
}

export interface KernelBiasConfig extends KernelBiasSettings {
  activation?: string;
  use_bias?: boolean;
}
