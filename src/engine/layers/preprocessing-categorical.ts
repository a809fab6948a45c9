import type { EncodedOutputConfig } from '../../keras/layer-classes/preprocessing.js';
import type { LayerSpec } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { ConfigReader, unsupported } from './config.js';
import { type ConfigArray, configArray } from './preprocessing-numeric.js';
import { summaryBoundaries } from './preprocessing-quantiles.js';
import { registerLayer, type Sym } from './registry.js';

const TO_FLOAT = { to: { i: 1 } };
const TO_INT64 = { to: { i: 7 } };
type OutputMode = 'int' | 'one_hot' | 'multi_hot' | 'count';

function outputMode(layer: LayerSpec, fallback: OutputMode): OutputMode {
  const cfg = new ConfigReader<EncodedOutputConfig>(layer);
  const mode = cfg.string('output_mode', fallback);
  if (mode !== 'int' && mode !== 'one_hot' && mode !== 'multi_hot' && mode !== 'count') {
    unsupported(layer, `output_mode "${mode}"`);
  }
  if (cfg.bool('sparse', false)) unsupported(layer, 'sparse=True (a sparse output)');
  return mode;
}

/** `x[..., None] == values` as float 0/1, shape `[...x, values.length]`. */
function matches(g: GraphBuilder, x: string, values: number[], base: string): string {
  const expanded = g.op('Unsqueeze', [x, g.constInt64('last_axis', [-1])]);
  const eq = g.op('Equal', [expanded, g.constFloat(base, [values.length], values)]);
  return g.op('Cast', [eq], TO_FLOAT);
}

/**
 * Keras' `encode_categorical_inputs` on integer indices (keras/src/utils/numerical_utils.py and the TF
 * bincount fast path in tf_utils.py): `one_hot` drops a last axis of size 1 and appends `depth`;
 * `multi_hot`/`count` on a `[batch, n]` input give `[batch, depth]` (the bincount of each row). Indices outside
 * `[0, depth)` count nowhere, as TF's bincount drops them. Rank-1 inputs (one bincount over the whole batch)
 * and rank 3+ are refused for `multi_hot`/`count`.
 */
function encode(g: GraphBuilder, layer: LayerSpec, x: Sym, mode: OutputMode, depth: number): Sym {
  if (mode === 'int') return x;
  const range = Array.from({ length: depth }, (_, i) => i);
  if (mode === 'one_hot') {
    let src = x;
    if (x.shape.length > 1 && x.shape[x.shape.length - 1] === 1) {
      const squeezed = g.op('Squeeze', [x.name, g.constInt64('last_axis', [-1])]);
      src = { name: squeezed, shape: x.shape.slice(0, -1) };
    }
    return { name: matches(g, src.name, range, `${layer.name}_range`), shape: [...src.shape, depth] };
  }
  if (x.shape.length !== 2) unsupported(layer, `output_mode "${mode}" on an input of rank ${x.shape.length}`);
  const hot = matches(g, x.name, range, `${layer.name}_range`);
  const y =
    mode === 'multi_hot'
      ? g.op('ReduceMax', [hot], { axes: { ints: [1] }, keepdims: { i: 0 } })
      : g.op('ReduceSum', [hot, g.constInt64('axis_1', [1])], { keepdims: { i: 0 } });
  return { name: y, shape: [x.shape[0], depth] };
}

/** tf.keras' adapted boundaries, from the quantile summary it keeps as its one weight. */
function adaptedBoundaries(layer: LayerSpec): ConfigArray | null {
  const numBins = layer.config.num_bins;
  const summary = layer.weights[0];
  if (typeof numBins !== 'number' || layer.weights.length !== 1 || summary.shape.length !== 2) return null;
  if (summary.shape[0] !== 2) return null;
  const data = summaryBoundaries(summary.data, summary.shape[1], numBins);
  return { shape: [data.length], data };
}

/**
 * Discretization (keras/src/layers/preprocessing/discretization.py; tf_keras the same): the bucket index
 * `digitize(x, bin_boundaries)` (the number of float32 boundaries <= x, TF's Bucketize), then encoded. The
 * boundaries are in the config (given, or adapted in Keras 3) or, adapted in tf.keras, from its summary weight.
 */
registerLayer('Discretization', ({ g, layer, inputs }) => {
  const x = inputs[0];
  const mode = outputMode(layer, 'int');
  const bins = configArray(layer.config.bin_boundaries) ?? adaptedBoundaries(layer);
  if (bins?.shape.length !== 1) {
    unsupported(layer, `bin_boundaries ${JSON.stringify(layer.config.bin_boundaries)}`);
  }
  const expanded = g.op('Unsqueeze', [x.name, g.constInt64('last_axis', [-1])]);
  const ge = g.op('GreaterOrEqual', [expanded, g.constFloat(`${layer.name}_bins`, bins.shape, bins.data)]);
  const idx = g.op('ReduceSum', [g.op('Cast', [ge], TO_FLOAT), g.constInt64('last_axis', [-1])], {
    keepdims: { i: 0 },
  });
  return { outputs: [encode(g, layer, { name: idx, shape: x.shape }, mode, bins.data.length + 1)] };
});

/**
 * NaN in every output of a record where the boolean `bad` (shaped like the input `x`) holds anywhere: where
 * Keras raises in predict, the record's output is NaN, never a number.
 */
function poisonRecords(g: GraphBuilder, layer: LayerSpec, out: Sym, bad: string, x: Sym): Sym {
  const c = (name: string, v: number) => g.constFloat(`${layer.name}_${name}`, [], [v]);
  const nanOrZero = g.op('Where', [bad, c('nan', Number.NaN), c('zero', 0)]);
  const rank = x.shape.length;
  const axes = Array.from({ length: rank - 1 }, (_, i) => i + 1);
  const perRecord =
    rank > 1 ? g.op('ReduceSum', [nanOrZero, g.constInt64('axes', axes)], { keepdims: { i: 0 } }) : nanOrZero;
  const shape = g.constInt64('record_shape', [-1, ...Array(out.shape.length - 1).fill(1)]);
  return { name: g.op('Add', [out.name, g.op('Reshape', [perRecord, shape])]), shape: out.shape };
}

/**
 * CategoryEncoding (category_encoding.py; tf_keras the same but it asserts every value is in range):
 * integer inputs encoded to `num_tokens` (no `count_weights`). Where Keras raises (a negative value under
 * Keras 3's bincount for multi_hot/count; any value outside [0, num_tokens) in tf.keras) the record is NaN.
 */
registerLayer('CategoryEncoding', ({ g, layer, inputs, model, config }) => {
  const x = inputs[0];
  const depth = config.number('num_tokens');
  const mode = outputMode(layer, 'multi_hot');
  const out = encode(g, layer, x, mode, depth);
  const negative = g.op('Less', [x.name, g.constFloat(`${layer.name}_zero`, [], [0])]);
  if (model.kerasMajor < 3) {
    const beyond = g.op('GreaterOrEqual', [x.name, g.constFloat(`${layer.name}_depth`, [], [depth])]);
    return { outputs: [poisonRecords(g, layer, out, g.op('Or', [negative, beyond]), x)] };
  }
  return { outputs: [mode === 'one_hot' ? out : poisonRecords(g, layer, out, negative, x)] };
});

/** `sum(onehot(x == keys) * values)` and whether any key matched. */
function tableLookup(g: GraphBuilder, x: string, keys: number[], values: number[], base: string) {
  const hot = matches(g, x, keys, `${base}_keys`);
  const found = g.op('ReduceMax', [hot], { axes: { ints: [-1] }, keepdims: { i: 0 } });
  const picked = g.op('MatMul', [hot, g.constFloat(`${base}_values`, [values.length, 1], values)]);
  const value = g.op('Squeeze', [picked, g.constInt64('last_axis', [-1])]);
  return { value, found: g.op('Cast', [found], { to: { i: 9 } }) };
}

const optionalInt = (layer: LayerSpec, key: string, fallback: number | null): number | null => {
  const v = layer.config[key];
  if (v === undefined) return fallback;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) unsupported(layer, `${key} ${JSON.stringify(v)}`);
  return v;
};

/**
 * IntegerLookup (keras/src/layers/preprocessing/index_lookup.py, integer_lookup.py; tf_keras the same) with
 * its vocabulary in the config. Forward: the mask token gives 0 (`int`) or counts nowhere, a vocabulary
 * token its index after the mask/OOV slots, an OOV value the OOV slot (`floormod(x, num_oov_indices)` for
 * several; NaN where Keras would raise with `num_oov_indices=0`). Inverse: index to token, `oov_token` else.
 * Refused: an adapted vocabulary (saved as an asset), `farmhash` OOV hashing, `tf_idf`, sparse outputs.
 */
registerLayer('IntegerLookup', ({ g, layer, inputs, config: cfg }) => {
  const x = inputs[0];
  const mode = outputMode(layer, 'int');
  const invert = cfg.bool('invert', false);
  const numOov = cfg.number('num_oov_indices', 1);
  const mask = optionalInt(layer, 'mask_token', null);
  const oovToken = optionalInt(layer, 'oov_token', -1);
  const vocab = configArray(layer.config.vocabulary);
  if (!vocab)
    unsupported(
      layer,
      'an IntegerLookup without its vocabulary (an adapted one is kept only as an asset of a .keras zip, not in a .h5)',
    );
  if (vocab.shape.length !== 1 || !vocab.data.every(Number.isInteger))
    unsupported(layer, 'a vocabulary that is not a list of integers');
  // inputs arrive as float32: beyond 2^24 two integers can read as one and match the wrong token
  const exact = (v: number | null) => v === null || Math.abs(v) < 2 ** 24;
  if (![...vocab.data, mask, oovToken].every(exact))
    unsupported(layer, 'tokens of magnitude 2^24 or more (not exact as float32 inputs)');
  if (invert && mode !== 'int') unsupported(layer, `invert=True with output_mode "${mode}"`);
  const oovStart = mask !== null && mode === 'int' ? 1 : 0;
  const tokenStart = oovStart + numOov;
  const special = [...Array(oovStart).fill(mask), ...Array(numOov).fill(oovToken)];
  const tokens = special.every((t, i) => vocab.data[i] === t) ? vocab.data.slice(tokenStart) : vocab.data;
  const indices = tokens.map((_, i) => tokenStart + i);
  const c = (name: string, v: number) => g.constFloat(`${layer.name}_${name}`, [], [v]);
  if (invert) {
    const { value, found } = tableLookup(g, x.name, indices, tokens, layer.name);
    let y = g.op('Where', [found, value, c('oov_token', oovToken ?? Number.NaN)]);
    if (mask !== null) y = g.op('Where', [g.op('Equal', [x.name, c('zero', 0)]), c('mask_token', mask), y]);
    return { outputs: [{ name: y, shape: x.shape }] };
  }
  const method = cfg.string('oov_method', 'floormod');
  if (numOov > 1 && method !== 'floormod') unsupported(layer, `oov_method "${method}" (farmhash)`);
  let oov: string;
  if (numOov === 0) oov = c('nan', Number.NaN);
  else if (numOov === 1) oov = c('oov_start', oovStart);
  else {
    const asInt = g.op('Cast', [x.name], TO_INT64);
    const mod = g.op('Mod', [asInt, g.constInt64('num_oov', [numOov], [])], { fmod: { i: 0 } });
    oov = g.op('Add', [g.op('Cast', [mod], TO_FLOAT), c('oov_start', oovStart)]);
  }
  const { value, found } = tableLookup(g, x.name, tokens, indices, layer.name);
  let y = g.op('Where', [found, value, oov]);
  // the mask token maps to 0 for `int`; otherwise to int64 max, which the bincount drops
  if (mask !== null)
    y = g.op('Where', [g.op('Equal', [x.name, c('mask', mask)]), c('masked', mode === 'int' ? 0 : -1), y]);
  const depth = cfg.bool('pad_to_max_tokens', false) ? cfg.number('max_tokens') : tokenStart + tokens.length;
  const out = encode(g, layer, { name: y, shape: x.shape }, mode, depth);
  if (numOov !== 0 || mode === 'int') return { outputs: [out] };
  // Keras raises on an OOV value with num_oov_indices=0: that record's output becomes NaN, never a count
  return { outputs: [poisonRecords(g, layer, out, g.op('IsNaN', [y]), x)] };
});

const refuse =
  (what: string) =>
  ({ layer }: { layer: LayerSpec }) =>
    unsupported(layer, what);

// run on the host on model inputs and host layers' int outputs (engine/text/hash-layers.ts); elsewhere refused
registerLayer(
  'Hashing',
  refuse(
    'Hashing on a computed tensor (FarmHash64/SipHash of the values as strings runs on the host, only on a model input taken directly)',
  ),
);
registerLayer(
  'HashedCrossing',
  refuse(
    "HashedCrossing on a computed tensor (FarmHash64 crosses run on the host, only of model inputs or of host layers' int outputs)",
  ),
);
// run on the host when they sit directly on a string model input (engine/text/); anywhere else refused
const onStringInputOnly = refuse('a string layer that does not take a string model input directly');
registerLayer('StringLookup', onStringInputOnly);
registerLayer('TextVectorization', onStringInputOnly);
