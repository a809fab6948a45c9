/**
 * Parse a stored model config (Keras 1/2/3, Sequential as a bare list or `{name, layers}`, Functional
 * with Keras 2 list or Keras 3 dict inbound nodes) into a {@link RawModel}. Sequential models get an
 * InputLayer (synthesized from the first layer's shape when absent) and a chain of inbound nodes.
 */
import { KerasErrorCode, layerError, loadError } from './errors.js';
import { isObject } from './json.js';
import { MODEL_CLASSES } from './known-layers.js';
import type { InboundNode, TensorRef } from './model.js';
import { normalizeLayer, reduceDtype, type StoredLayer } from './normalize.js';
import type { RawLayer, RawModel } from './raw-model.js';
import { isTfOpEntry, tfOpLayer } from './tf-ops.js';

const MAX_DEPTH = 32;

function asRef(value: unknown, dtype?: unknown): TensorRef | null {
  if (Array.isArray(value) && typeof value[0] === 'string') {
    const node = value[1] ?? 0;
    const tensor = value[2] ?? 0;
    if (typeof node === 'number' && typeof tensor === 'number') {
      const ref: TensorRef = { layer: value[0], nodeIndex: node, tensorIndex: tensor };
      if (typeof dtype === 'string') ref.dtype = dtype;
      return ref;
    }
  }
  return null;
}

/** A Keras 3 `__keras_tensor__` entry as a TensorRef (with its recorded dtype), or null. */
function keras3Ref(value: Record<string, unknown>): TensorRef | null {
  if (value.class_name !== '__keras_tensor__' || !isObject(value.config)) return null;
  return asRef(value.config.keras_history, value.config.dtype);
}

function refList(value: unknown, what: string): TensorRef[] {
  if (isObject(value)) return refDict(value, what);
  if (!Array.isArray(value)) throw loadError(KerasErrorCode.BadConfig, `${what} is not a list`);
  const single = asRef(value);
  if (single && typeof value[1] === 'number') return [single];
  return value.map((v) => {
    const ref = asRef(v);
    if (!ref) throw loadError(KerasErrorCode.BadConfig, `${what} holds an invalid tensor reference`);
    return ref;
  });
}

/**
 * Keras 3 functional models called on a dict (FeatureSpace's, `keras.Model({"age": a, "city": c}, y)`) store their
 * inputs and outputs as a dict; Keras flattens it in sorted key order (keras.tree), so that is the order here.
 * Records name inputs by layer name, so a key that is not its input layer's name is refused rather than guessed.
 */
function refDict(value: Record<string, unknown>, what: string): TensorRef[] {
  return Object.keys(value)
    .sort()
    .map((key) => {
      const ref = asRef(value[key]);
      if (!ref)
        throw loadError(KerasErrorCode.BadConfig, `${what} holds an invalid tensor reference at "${key}"`);
      if (what.endsWith('input_layers') && ref.layer !== key)
        throw loadError(
          KerasErrorCode.BadConfig,
          `${what}: the input dict key "${key}" names the input layer '${ref.layer}'; inputs are matched by layer name, so the two must be equal`,
        );
      return ref;
    });
}

/** Replace Keras 2 `[name, node, tensor]` / Keras 3 `__keras_tensor__` objects in kwargs with TensorRefs. */
function convertKwargs(value: unknown, keras3: boolean): unknown {
  if (isObject(value)) {
    if (value.class_name === '__keras_tensor__') return keras3Ref(value) ?? value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = convertKwargs(v, keras3);
    return out;
  }
  if (Array.isArray(value)) {
    if (!keras3 && value.length === 3 && asRef(value) && typeof value[1] === 'number') return asRef(value);
    return value.map((v) => convertKwargs(v, keras3));
  }
  return value;
}

function collectKeras3Tensors(value: unknown, out: TensorRef[]): void {
  if (isObject(value)) {
    const ref = keras3Ref(value);
    if (ref) out.push(ref);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectKeras3Tensors(v, out);
}

function parseInbound(layer: string, cls: string, value: unknown): InboundNode[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw layerError(KerasErrorCode.BadConfig, layer, cls, 'inbound_nodes is not a list');
  return value.map((node): InboundNode => {
    if (isObject(node)) {
      const inputs: TensorRef[] = [];
      collectKeras3Tensors(node.args, inputs);
      const kwargs = isObject(node.kwargs)
        ? (convertKwargs(node.kwargs, true) as Record<string, unknown>)
        : {};
      const args = Array.isArray(node.args) ? (convertKwargs(node.args, true) as unknown[]) : [];
      return { inputs, kwargs, args };
    }
    if (!Array.isArray(node)) throw layerError(KerasErrorCode.BadConfig, layer, cls, 'invalid inbound node');
    const inputs: TensorRef[] = [];
    let kwargs: Record<string, unknown> = {};
    for (const entry of node) {
      const ref = asRef(entry);
      if (!ref) throw layerError(KerasErrorCode.BadConfig, layer, cls, 'invalid inbound tensor reference');
      inputs.push(ref);
      if (Array.isArray(entry) && isObject(entry[3])) {
        kwargs = { ...kwargs, ...(convertKwargs(entry[3], false) as Record<string, unknown>) };
      }
    }
    return { inputs, kwargs };
  });
}

/** Context shared while parsing one file's config. */
export interface ParseContext {
  keras1: boolean;
  /** The file was written by Keras 3 (its HDF5 drops the `module` that tells ops from layers). */
  keras3?: boolean;
  depth: number;
}

function makeLayer(entry: StoredLayer, ctx: ParseContext, index: number): RawLayer {
  if (!isObject(entry)) throw loadError(KerasErrorCode.BadConfig, `layer #${index} is not an object`);
  const n = normalizeLayer(entry, ctx.keras1, `layer_${index}`, ctx.keras3 === true);
  const cfg = n.config;
  const name =
    typeof cfg.name === 'string' ? cfg.name : typeof entry.name === 'string' ? entry.name : `layer_${index}`;
  let model: RawModel | null = null;
  if (MODEL_CLASSES.has(n.className)) {
    model = parseModelConfig(
      { class_name: n.className, config: cfg },
      { ...ctx, depth: ctx.depth + 1 },
      name,
    );
  }
  return { name, className: n.className, config: cfg, inbound: [], weights: [], model };
}

function shapeFromFirstLayer(layer: RawLayer): (number | null)[] | null {
  const c = layer.config;
  if (Array.isArray(c.batch_input_shape)) return c.batch_input_shape as (number | null)[];
  if (Array.isArray(c.input_shape)) return [null, ...(c.input_shape as (number | null)[])];
  if (layer.className === 'Embedding') {
    const len = c.input_length;
    return [null, typeof len === 'number' ? len : Array.isArray(len) ? (len[0] ?? null) : null];
  }
  if (typeof c.input_dim === 'number') {
    if (
      typeof c.input_length === 'number' ||
      ['LSTM', 'GRU', 'SimpleRNN', 'Conv1D'].includes(layer.className)
    ) {
      return [null, (c.input_length as number | undefined) ?? null, c.input_dim];
    }
    return [null, c.input_dim];
  }
  if (layer.model && layer.model.layers.length > 0) {
    const first = layer.model.layers.find((l) => l.className === 'InputLayer');
    if (first && Array.isArray(first.config.batch_input_shape))
      return first.config.batch_input_shape as (number | null)[];
  }
  for (const key of ['layer', 'forward_layer']) {
    const inner = c[key];
    if (isObject(inner) && isObject(inner.config)) {
      const s = shapeFromFirstLayer({
        ...layer,
        className: String(inner.class_name),
        config: inner.config,
        model: null,
      });
      if (s) return s;
    }
  }
  return null;
}

function parseSequential(entryConfig: unknown, ctx: ParseContext, fallbackName: string): RawModel {
  const cfg = isObject(entryConfig) ? entryConfig : {};
  const list = Array.isArray(entryConfig) ? entryConfig : cfg.layers;
  if (!Array.isArray(list))
    throw loadError(KerasErrorCode.BadConfig, 'the Sequential config has no layer list');
  if (list.length === 0) throw loadError(KerasErrorCode.BadConfig, 'the Sequential model has no layers');
  const name = typeof cfg.name === 'string' ? cfg.name : fallbackName;
  const layers = list.map((e, i) => makeLayer(e as StoredLayer, ctx, i));
  if (layers[0].className !== 'InputLayer') {
    const first = layers[0];
    const shape = shapeFromFirstLayer(first);
    if (!shape && ctx.depth === 0) {
      throw layerError(
        KerasErrorCode.NoInputShape,
        first.name,
        first.className,
        'the Sequential model has no input shape (no InputLayer, batch_input_shape or input_dim)',
      );
    }
    // a string layer first takes strings (its own `dtype` is its output's)
    const dtype =
      first.className === 'StringLookup' || first.className === 'TextVectorization'
        ? 'string'
        : first.className === 'Embedding'
          ? 'float32'
          : (reduceDtype(first.config.dtype) ?? 'float32');
    layers.unshift({
      name: `${first.name}_input`,
      className: 'InputLayer',
      config: { name: `${first.name}_input`, batch_input_shape: shape ?? [null], dtype, sparse: false },
      inbound: [],
      weights: [],
      model: null,
      synthesized: true,
    });
  }
  for (let i = 1; i < layers.length; i++) {
    layers[i].inbound = [
      { inputs: [{ layer: layers[i - 1].name, nodeIndex: 0, tensorIndex: 0 }], kwargs: {} },
    ];
  }
  const last = layers[layers.length - 1];
  return {
    name,
    className: 'Sequential',
    layers,
    inputs: [{ layer: layers[0].name, nodeIndex: 0, tensorIndex: 0 }],
    outputs: [{ layer: last.name, nodeIndex: 0, tensorIndex: 0 }],
  };
}

function parseFunctional(
  className: string,
  entryConfig: unknown,
  ctx: ParseContext,
  fallbackName: string,
): RawModel {
  if (!isObject(entryConfig) || !Array.isArray(entryConfig.layers)) {
    throw loadError(KerasErrorCode.BadConfig, `the ${className} config has no layer list`);
  }
  const name = typeof entryConfig.name === 'string' ? entryConfig.name : fallbackName;
  const layers = entryConfig.layers.map((e, i) => {
    if (isObject(e) && isTfOpEntry(e)) return tfOpLayer(e, i);
    const layer = makeLayer(e as StoredLayer, ctx, i);
    layer.inbound = parseInbound(layer.name, layer.className, (e as StoredLayer).inbound_nodes);
    return layer;
  });
  const inputs = refList(entryConfig.input_layers, `${className} '${name}' input_layers`);
  const outputs = refList(entryConfig.output_layers, `${className} '${name}' output_layers`);
  return { name, className, layers, inputs, outputs };
}

/** Parse a `{class_name, config}` model entry (the `model_config` attribute, `config.json`, `to_json()`). */
export function parseModelConfig(entry: unknown, ctx: ParseContext, fallbackName = 'model'): RawModel {
  if (ctx.depth > MAX_DEPTH) throw loadError(KerasErrorCode.BadConfig, 'models are nested too deeply');
  if (!isObject(entry)) throw loadError(KerasErrorCode.BadConfig, 'the model config is not a JSON object');
  const cls = entry.class_name;
  if (typeof cls !== 'string')
    throw loadError(KerasErrorCode.BadConfig, 'the model config has no class_name');
  if (cls === 'Sequential') return parseSequential(entry.config, ctx, fallbackName);
  if (cls === 'Model' || cls === 'Functional') return parseFunctional(cls, entry.config, ctx, fallbackName);
  const reg = entry.registered_name;
  throw loadError(
    KerasErrorCode.CustomLayer,
    `model class '${String(typeof reg === 'string' ? reg : cls)}' is not a Keras Sequential or Functional model (subclassed models cannot be loaded)`,
  );
}
