/**
 * One layer entry of a stored config → canonical class name and a config with Keras 2 meaning:
 * Keras 1 names converted, Keras 3 nested objects reduced (dtype policies → dtype strings, activation
 * objects → names, `batch_shape` → `batch_input_shape`), code layers and custom classes refused.
 */
import { KerasErrorCode, layerError } from './errors.js';
import { isObject } from './json.js';
import { convertKeras1Layer, KERAS1_REMOVED, looksLikeKeras1 } from './keras1-config.js';
import {
  applicationClass,
  CODE_LAYERS,
  canonicalClass,
  isKnownClass,
  KNOWN_ACTIVATIONS,
  kerasHubClass,
  MODEL_CLASSES,
  WRAPPER_CLASSES,
} from './known-layers.js';
import { KERAS3_OP_CLASSES } from './known-ops.js';
import { type LayerConfig, OP_CLASS_PREFIX } from './model.js';

/** A stored layer entry (`{class_name, config, module?, registered_name?, name?, inbound_nodes?}`). */
export interface StoredLayer {
  class_name?: unknown;
  config?: unknown;
  module?: unknown;
  registered_name?: unknown;
  name?: unknown;
  inbound_nodes?: unknown;
}

/** A Keras 2/3 dtype or dtype policy reduced to a dtype string (`mixed_float16` → `float32` variables). */
export function reduceDtype(value: unknown): string | null {
  if (typeof value === 'string') {
    if (value.startsWith('mixed_')) return 'float32';
    return value;
  }
  if (isObject(value)) {
    const cfg = value.config;
    if (isObject(cfg) && typeof cfg.name === 'string') return reduceDtype(cfg.name);
    if (typeof cfg === 'string') return reduceDtype(cfg);
  }
  return null;
}

function isCustomEntry(entry: StoredLayer): boolean {
  const reg = entry.registered_name;
  if (typeof reg === 'string' && reg.length > 0 && reg !== entry.class_name) return true;
  const mod = entry.module;
  return typeof mod === 'string' && mod.length > 0 && !mod.startsWith('keras') && !mod.startsWith('tf_keras');
}

/** Keras 3 call nodes (objects with `args`; Keras 1/2 nodes are lists). */
function hasKeras3Nodes(entry: StoredLayer): boolean {
  const nodes = entry.inbound_nodes;
  return Array.isArray(nodes) && nodes.length > 0 && nodes.every((n) => isObject(n) && Array.isArray(n.args));
}

function reduceActivation(layer: string, cls: string, key: string, value: unknown): unknown {
  let name: unknown = value;
  if (isObject(value)) {
    const entry = value as StoredLayer;
    if (isCustomEntry(entry) && entry.registered_name !== 'function') {
      throw layerError(
        KerasErrorCode.CustomLayer,
        layer,
        cls,
        `custom ${key} '${String(entry.registered_name ?? entry.class_name)}' is not a Keras activation`,
      );
    }
    name = typeof entry.config === 'string' ? entry.config : entry.class_name;
    if (isObject(entry.config) && typeof entry.config.name === 'string') name = entry.config.name;
  }
  if (name === null || name === undefined) return 'linear';
  if (typeof name !== 'string') {
    throw layerError(KerasErrorCode.BadConfig, layer, cls, `${key} is not a name`);
  }
  if (!KNOWN_ACTIVATIONS.has(name)) {
    throw layerError(KerasErrorCode.CustomLayer, layer, cls, `${key} '${name}' is not a Keras activation`);
  }
  return name;
}

/**
 * Whether a stored entry is a Keras 3 operation rather than a layer. `.keras` files name the op's module
 * (`keras.src.ops.numpy`); Keras 3's legacy HDF5 drops every module, so there an entry of an op class whose
 * config lacks `trainable` (which every Keras 3 layer's config has, and no op's) is an op: `Multiply` with
 * config `{name}` is `ops.multiply(x, 0.5)`, never the merge layer.
 */
function isKeras3Op(
  entry: StoredLayer,
  cls: string,
  config: Record<string, unknown>,
  keras3: boolean,
): boolean {
  if (typeof entry.module === 'string') return /^keras(\.src)?\.ops(\.|$)/.test(entry.module);
  if (entry.registered_name !== undefined || !KERAS3_OP_CLASSES.has(cls)) return false;
  if (Object.hasOwn(config, 'trainable')) return false;
  return keras3 || hasKeras3Nodes(entry);
}

/** A keras_hub layer's config: the dtype policy reduced, `activation` checked and reduced as every layer's. */
function hubConfig(name: string, cls: string, rawConfig: Record<string, unknown>): LayerConfig {
  const config: LayerConfig = { ...rawConfig, name };
  if (Object.hasOwn(config, 'dtype')) config.dtype = reduceDtype(config.dtype) ?? 'float32';
  if (Object.hasOwn(config, 'activation'))
    config.activation = reduceActivation(name, cls, 'activation', config.activation);
  return config;
}

/** Result of normalizing one layer entry. */
export interface NormalizedLayer {
  className: string;
  config: LayerConfig;
}

/**
 * Normalize one stored layer. `keras1` forces Keras 1 conversion; otherwise it is applied when the config
 * uses Keras 1 parameter names. Model classes are returned with their config untouched (the graph
 * reader recurses into them).
 */
export function normalizeLayer(
  entry: StoredLayer,
  keras1: boolean,
  fallbackName = '?',
  keras3 = false,
): NormalizedLayer {
  const rawClass = typeof entry.class_name === 'string' ? entry.class_name : '';
  const rawConfig = isObject(entry.config) ? entry.config : {};
  const name =
    typeof rawConfig.name === 'string'
      ? rawConfig.name
      : typeof entry.name === 'string'
        ? entry.name
        : fallbackName;
  if (rawClass === '') throw layerError(KerasErrorCode.BadConfig, name, '?', 'the layer has no class_name');
  if (CODE_LAYERS.has(rawClass)) {
    throw layerError(
      KerasErrorCode.LambdaLayer,
      name,
      rawClass,
      'a Lambda layer holds Python code, which is never decoded or run; rebuild the model with standard layers',
    );
  }
  const appClass = applicationClass(rawClass, entry.module, entry.registered_name, rawConfig);
  if (appClass !== null) {
    const config: LayerConfig = { ...rawConfig, name };
    if (Object.hasOwn(config, 'dtype')) config.dtype = reduceDtype(config.dtype) ?? 'float32';
    return { className: appClass, config };
  }
  const hubClass = kerasHubClass(rawClass, entry.module, entry.registered_name);
  if (hubClass !== null) return { className: hubClass, config: hubConfig(name, hubClass, rawConfig) };
  if (isCustomEntry(entry)) {
    throw layerError(
      KerasErrorCode.CustomLayer,
      name,
      rawClass,
      `custom class '${String(entry.registered_name ?? entry.module)}' is not part of Keras`,
    );
  }
  if (MODEL_CLASSES.has(rawClass)) return { className: rawClass, config: rawConfig };
  if (isKeras3Op(entry, rawClass, rawConfig, keras3)) {
    // A Keras 3 operation recorded in a functional graph (`keras.ops.not_equal` → `ops.NotEqual`).
    return { className: `${OP_CLASS_PREFIX}${rawClass}`, config: { ...rawConfig, name } };
  }
  let cls = rawClass;
  let config: LayerConfig = { ...rawConfig };
  if (keras1 || looksLikeKeras1(rawClass, rawConfig)) {
    ({ className: cls, config } = convertKeras1Layer(rawClass, rawConfig));
    if (CODE_LAYERS.has(cls)) {
      throw layerError(
        KerasErrorCode.LambdaLayer,
        name,
        rawClass,
        'a Merge with a Python function mode is refused',
      );
    }
  }
  if (KERAS1_REMOVED.has(cls)) {
    throw layerError(
      KerasErrorCode.UnsupportedLegacy,
      name,
      cls,
      'this Keras 1 layer was removed in Keras 2',
    );
  }
  cls = canonicalClass(cls);
  if (!isKnownClass(cls)) {
    throw layerError(
      KerasErrorCode.CustomLayer,
      name,
      cls,
      'not a standard Keras layer class (custom layer?)',
    );
  }
  if (config.name === undefined) config.name = name;
  if (Object.hasOwn(config, 'batch_shape')) {
    if (!Object.hasOwn(config, 'batch_input_shape')) config.batch_input_shape = config.batch_shape;
    delete config.batch_shape;
  }
  if (Object.hasOwn(config, 'dtype')) config.dtype = reduceDtype(config.dtype) ?? 'float32';
  for (const key of ['activation', 'recurrent_activation']) {
    if (Object.hasOwn(config, key)) config[key] = reduceActivation(name, cls, key, config[key]);
  }
  if (WRAPPER_CLASSES.has(cls) || cls === 'RNN') {
    for (const key of ['layer', 'backward_layer', 'cell']) {
      const inner = config[key];
      if (!isObject(inner)) continue;
      const innerEntry = inner as StoredLayer;
      const innerClass = String(innerEntry.class_name ?? '?');
      if (MODEL_CLASSES.has(innerClass)) {
        throw layerError(
          KerasErrorCode.UnsupportedLegacy,
          name,
          cls,
          `a wrapped ${innerClass} model is not supported`,
        );
      }
      try {
        const n = normalizeLayer(innerEntry, keras1, `${name}/${key}`);
        config[key] = { class_name: n.className, config: n.config };
      } catch (error) {
        if (error instanceof Error && 'code' in error) {
          throw layerError(
            (error as { code: typeof KerasErrorCode.BadConfig }).code,
            name,
            cls,
            `wrapped ${key}: ${error.message.replace(/^\[keras\] /, '')}`,
          );
        }
        throw error;
      }
    }
    if (cls !== 'RNN' && !isObject(config.layer)) {
      throw layerError(KerasErrorCode.BadConfig, name, cls, 'the wrapper has no inner layer config');
    }
  }
  return { className: cls, config };
}
