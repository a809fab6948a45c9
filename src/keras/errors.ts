import { ModelLoadError } from '../util/errors.js';

/**
 * Stable codes of every {@link ModelLoadError} the Keras reader raises. Users, logs and the API match on
 * these, never on the message text.
 */
export const KerasErrorCode = {
  /** The bytes are neither HDF5 nor a zip, or the file cannot be read at all. */
  UnknownFormat: 'KERAS_UNKNOWN_FORMAT',
  /** The file cannot be read (missing, permission). */
  Io: 'KERAS_IO',
  /** HDF5 signature present but the library cannot open it (truncated, corrupt). */
  CorruptHdf5: 'KERAS_CORRUPT_HDF5',
  /** A zip that is not a Keras 3 `.keras` archive, or a corrupt one. */
  NotKerasZip: 'KERAS_NOT_KERAS_ZIP',
  /** A weights-only file (`save_weights`) without an architecture JSON. */
  WeightsOnly: 'KERAS_WEIGHTS_ONLY',
  /** An HDF5 file with neither `model_config` nor `layer_names` (not a Keras file). */
  NotKerasHdf5: 'KERAS_NOT_KERAS_HDF5',
  /** A model config (JSON) that is missing, not JSON, or structurally wrong. */
  BadConfig: 'KERAS_BAD_CONFIG',
  /** A `Lambda` (or TF-op) layer: arbitrary Python code, refused and never decoded. */
  LambdaLayer: 'KERAS_LAMBDA_LAYER',
  /** A class that is not part of Keras (custom layer, custom activation, custom model class). */
  CustomLayer: 'KERAS_CUSTOM_LAYER',
  /** A Keras 1 construct that Keras 2 itself could not load (e.g. `Merge` of Sequential branches). */
  UnsupportedLegacy: 'KERAS_UNSUPPORTED_LEGACY',
  /** The file's weights do not match the architecture (count, shape). */
  WeightMismatch: 'KERAS_WEIGHT_MISMATCH',
  /** A weight or input shape that is impossible (negative, too large, not a number). */
  BadShape: 'KERAS_BAD_SHAPE',
  /** A weight dataset that is not a float array the reader can use. */
  BadWeight: 'KERAS_BAD_WEIGHT',
  /** A model whose input shape cannot be determined. */
  NoInputShape: 'KERAS_NO_INPUT_SHAPE',
  /** A graph reference to a layer or node that does not exist, or a cyclic graph. */
  BadGraph: 'KERAS_BAD_GRAPH',
  /** Anything else that went wrong while reading (never a crash: always this typed error). */
  Unreadable: 'KERAS_UNREADABLE',
} as const;

/** One of {@link KerasErrorCode}'s values. */
export type KerasErrorCodeValue = (typeof KerasErrorCode)[keyof typeof KerasErrorCode];

/** Shorthand for a {@link ModelLoadError} with one of the reader's codes. */
export function loadError(code: KerasErrorCodeValue, message: string, cause?: unknown): ModelLoadError {
  return new ModelLoadError(code, message, cause === undefined ? {} : { cause });
}

/** A `[keras]` error that names the layer and its class. */
export function layerError(
  code: KerasErrorCodeValue,
  layer: string,
  className: string,
  message: string,
): ModelLoadError {
  return new ModelLoadError(code, `layer '${layer}' (${className}): ${message}`);
}
