/**
 * Weights of Keras 3 `model.weights.h5` stores (inside `.keras` zips, or `save_weights` `.weights.h5`
 * files): `layers/<entry>/vars/<i>` where `<entry>` is the snake_case class name with a per-class
 * counter in layer order (keras/src/saving/saving_lib.py `_save_container_state`), or
 * `_layer_checkpoint_dependencies/<entry>` in tf.keras 2.13–2.15 files. Composite layers nest:
 * RNN `cell/vars`, Bidirectional `forward_layer`/`backward_layer`, TimeDistributed `layer`,
 * MultiHeadAttention `query_dense`…, nested models `layers/…`.
 */
import { KerasErrorCode, layerError } from './errors.js';
import { childGroup, childNames, type H5Group, isDataset, readFloatDataset, stringAttr } from './hdf5.js';
import { isObject } from './json.js';
import type { LayerConfig, WeightTensor } from './model.js';
import type { RawLayer, RawModel } from './raw-model.js';
import { rawExpectedCount } from './weights-assign.js';

/** Keras' `naming.to_snake_case`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The container group of a store or nested model: `layers`, else `_layer_checkpoint_dependencies`. */
export function layerContainer(group: H5Group): H5Group | null {
  const layers = childGroup(group, 'layers');
  if (layers && childNames(layers).length > 0) return layers;
  return childGroup(group, '_layer_checkpoint_dependencies') ?? layers;
}

function ownVars(group: H5Group, path: string): WeightTensor[] {
  const vars = childGroup(group, 'vars');
  if (!vars) return [];
  const keys = childNames(vars)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b));
  return keys.map((k) => {
    const ds = vars.get(k);
    const name = `${path}/vars/${k}`;
    if (!isDataset(ds)) throw layerError(KerasErrorCode.BadWeight, path, '?', `'${name}' is not a dataset`);
    const { shape, data } = readFloatDataset(ds, `weight '${name}'`);
    return { name, shape, data };
  });
}

const sortKey = (n: string): string => (n.startsWith('_') ? `~${n}` : n);

function genericWalk(group: H5Group, path: string): WeightTensor[] {
  const out = ownVars(group, path);
  const children = childNames(group)
    .filter((n) => n !== 'vars')
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  for (const c of children) {
    const g = childGroup(group, c);
    if (g) out.push(...genericWalk(g, `${path}/${c}`));
  }
  return out;
}

function innerConfig(config: LayerConfig, key: string): { className: string; config: LayerConfig } | null {
  const v = config[key];
  if (!isObject(v)) return null;
  return { className: String(v.class_name), config: (isObject(v.config) ? v.config : {}) as LayerConfig };
}

function firstChild(group: H5Group, names: string[]): { group: H5Group; name: string } | null {
  for (const n of names) {
    const g = childGroup(group, n);
    if (g) return { group: g, name: n };
  }
  return null;
}

/** Collect one layer's weights from its entry group, in `get_weights()` order. */
export function collectLayerWeights(
  group: H5Group,
  className: string,
  config: LayerConfig,
  path: string,
): WeightTensor[] {
  if (className === 'Bidirectional') {
    const f = innerConfig(config, 'layer');
    const b = innerConfig(config, 'backward_layer') ?? f;
    const fg = firstChild(group, ['forward_layer']);
    const bg = firstChild(group, ['backward_layer']);
    if (!f || !b || !fg || !bg) return genericWalk(group, path);
    return [
      ...collectLayerWeights(fg.group, f.className, f.config, `${path}/forward_layer`),
      ...collectLayerWeights(bg.group, b.className, b.config, `${path}/backward_layer`),
    ];
  }
  if (className === 'TimeDistributed') {
    const i = innerConfig(config, 'layer');
    const g = firstChild(group, ['layer']);
    if (!i || !g) return genericWalk(group, path);
    return collectLayerWeights(g.group, i.className, i.config, `${path}/layer`);
  }
  if (className === 'MultiHeadAttention' || className === 'GroupedQueryAttention') {
    // build() order: query, key, (use_gate) gate, value, output
    const out = ownVars(group, path);
    for (const part of ['query', 'key', 'gate', 'value', 'output']) {
      const g = firstChild(group, [`${part}_dense`, `_${part}_dense`]);
      if (g) out.push(...ownVars(g.group, `${path}/${g.name}`));
    }
    return out;
  }
  if (LOOKUPS.has(className)) return lookupIdf(group, path);
  const hub = HUB_PARTS[className];
  if (hub) return hub.flatMap((part) => partVars(group, path, part));
  return genericWalk(group, path);
}

/** keras_hub layers: their sublayers (`_self_attention_layer/query_dense`…) in the order a legacy `.h5` lists them. */
const HUB_PARTS: Readonly<Record<string, readonly string[]>> = {
  'keras_hub.TokenAndPositionEmbedding': ['token_embedding', 'position_embedding'],
  'keras_hub.TransformerEncoder': [
    '_self_attention_layer/query_dense',
    '_self_attention_layer/key_dense',
    '_self_attention_layer/value_dense',
    '_self_attention_layer/output_dense',
    '_self_attention_layer_norm',
    '_feedforward_layer_norm',
    '_feedforward_intermediate_dense',
    '_feedforward_output_dense',
  ],
};

function partVars(group: H5Group, path: string, part: string): WeightTensor[] {
  let g: H5Group | null = group;
  for (const step of part.split('/')) g = g ? childGroup(g, step) : null;
  return g ? ownVars(g, `${path}/${part}`) : [];
}

const LOOKUPS = new Set(['IntegerLookup', 'StringLookup', 'TextVectorization']);

/**
 * Lookup layers keep no numbered variables; in `tf_idf` mode `save_own_variables` stores the (padded) IDF
 * weights as `vars/idf_weights` (index_lookup.py; TextVectorization the same, and again under its
 * `_lookup_layer`). That one array is the layer's weight.
 */
function lookupIdf(group: H5Group, path: string): WeightTensor[] {
  const vars = childGroup(group, 'vars');
  const ds = vars?.get('idf_weights');
  if (!vars || !isDataset(ds)) return [];
  const name = `${path}/vars/idf_weights`;
  return [{ name, ...readFloatDataset(ds, `weight '${name}'`) }];
}

/** Map entry names to the layer names recorded in their `vars` metadata (newer Keras 3 files). */
function recordedNames(container: H5Group): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of childNames(container)) {
    const g = childGroup(container, entry);
    const vars = g ? childGroup(g, 'vars') : null;
    const name = vars ? stringAttr(vars, 'name') : null;
    if (name !== null) out.set(name, entry);
  }
  return out;
}

function pythonClass(layer: RawLayer): string {
  if (layer.className === 'Model') return 'Functional';
  // keras.applications' own classes (`applications.LayerScale`) are stored under their Python class name
  // and so are keras_hub's (`keras_hub.TransformerEncoder`)
  return layer.className.replace(/^(applications|keras_hub)\./, '');
}

/** Assign weights from a Keras 3 store container to a parsed model's layers (recursing into nested models). */
export function assignKeras3(model: RawModel, container: H5Group, path: string): void {
  const used = new Map<string, number>();
  const recorded = recordedNames(container);
  const counted = new Map<RawLayer, string>();
  for (const layer of model.layers) {
    if (layer.synthesized) continue;
    const base = toSnakeCase(pythonClass(layer));
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    counted.set(layer, n === undefined ? base : `${base}_${n + 1}`);
  }
  // Only trust recorded names when they are unambiguous for this container.
  const useRecorded =
    recorded.size > 0 &&
    model.layers.every((l) => l.synthesized || l.className === 'InputLayer' || recorded.has(l.name));
  for (const layer of model.layers) {
    if (layer.synthesized) continue;
    const entry = useRecorded ? recorded.get(layer.name)! : counted.get(layer)!;
    const g = childGroup(container, entry);
    const entryPath = `${path}/${entry}`;
    const expected = rawExpectedCount(layer);
    if (!g) {
      if (expected === null || expected === 0 || layer.className === 'InputLayer') continue;
      throw layerError(
        KerasErrorCode.WeightMismatch,
        layer.name,
        layer.className,
        `the weights file has no entry '${entryPath}' for this layer`,
      );
    }
    if (layer.model) {
      const inner = layerContainer(g);
      if (inner) assignKeras3(layer.model, inner, `${entryPath}/${inner.path.split('/').pop()}`);
      continue;
    }
    layer.weights = collectLayerWeights(g, layer.className, layer.config, entryPath);
  }
}
