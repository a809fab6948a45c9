import type { LayerSpec } from '../../keras/model.js';
import { requireWeights, unsupported } from './config.js';
import { type LayerContext, type LayerResult, registerLayer, type Sym } from './registry.js';

/**
 * keras_hub's position layers (keras_hub 0.32 `layers/modeling/position_embedding.py`,
 * `sine_position_encoding.py`, `token_and_position_embedding.py`). Their `start_index`/`positions` call
 * arguments are not read, so a call passing them is refused by the compiler.
 */

const BASE_KEYS = ['name', 'trainable', 'dtype'];

/** Refuses a config key the converter does not implement (a newer keras_hub's option), naming it. */
export function refuseUnknownKeys(layer: LayerSpec, known: readonly string[]): void {
  for (const key of Object.keys(layer.config)) {
    if (!BASE_KEYS.includes(key) && !known.includes(key)) unsupported(layer, `the config option "${key}"`);
  }
}

/** Shape checks shared by the position layers: a rank 3+ float input with a known feature size. */
function sequenceDims(layer: LayerSpec, x: Sym): { time: number | null; hidden: number } {
  const r = x.shape.length;
  const hidden = x.shape[r - 1];
  if (r < 3 || hidden === null) unsupported(layer, `an input of shape [${x.shape}]`);
  return { time: x.shape[r - 2], hidden };
}

/** `broadcast_to(table, shape(x))`: the `[T, H]` rows broadcast over the leading axes of `x`. */
function broadcastLike(ctx: LayerContext, rows: string, x: Sym): Sym {
  const { g } = ctx;
  return { name: g.op('Expand', [rows, g.op('Shape', [x.name])]), shape: x.shape };
}

/**
 * The first `T` rows of a `[L, H]` table, T the input's axis -2 (`ops.slice(table, (0, 0), (T, H))`): a
 * constant for a known T (which must fit the table, as Keras' slice requires), a run-time Slice otherwise.
 */
function positionRows(ctx: LayerContext, table: LayerSpec['weights'][number], x: Sym, time: number | null) {
  const { g, layer } = ctx;
  const [length, hidden] = table.shape;
  if (table.shape.length !== 2 || hidden !== x.shape[x.shape.length - 1])
    unsupported(layer, `a position table of shape [${table.shape}] for inputs of shape [${x.shape}]`);
  if (time !== null) {
    if (time > length) unsupported(layer, `${time} positions with a table of ${length}`);
    return g.constFloat(`${layer.name}_positions`, [time, hidden], table.data.subarray(0, time * hidden));
  }
  const all = g.constFloat(`${layer.name}_positions`, table.shape, table.data);
  const shape = g.op('Shape', [x.name]);
  const r = x.shape.length;
  const t = g.op('Slice', [shape, g.constInt64('from', [r - 2]), g.constInt64('to', [r - 1])]);
  return g.op('Slice', [all, g.constInt64('zero', [0]), t, g.constInt64('axis0', [0])]);
}

/** `PositionEmbedding.call(x)`: the learned table's first T rows broadcast to x's shape; no mask. */
registerLayer('keras_hub.PositionEmbedding', (ctx) => {
  const { layer, inputs } = ctx;
  refuseUnknownKeys(layer, ['sequence_length', 'initializer']);
  requireWeights(layer, 1);
  const x = inputs[0];
  const { time } = sequenceDims(layer, x);
  if (ctx.config.number('sequence_length') !== layer.weights[0].shape[0])
    unsupported(layer, `sequence_length differing from its table [${layer.weights[0].shape}]`);
  const rows = positionRows(ctx, layer.weights[0], x, time);
  return { outputs: [broadcastLike(ctx, rows, x)], masks: [null] };
});

/**
 * `SinePositionEncoding.call(x)`: for position p and feature j, `sin(p * w_j)` on even j and `cos(p * w_j)` on
 * odd j, `w_j = (1 / max_wavelength) ** (2 * (j // 2) / H)`, each step rounded to float32 as Keras computes it;
 * broadcast to x's shape; no mask. The sequence length must be known.
 */
registerLayer('keras_hub.SinePositionEncoding', (ctx) => {
  const { g, layer, inputs, config } = ctx;
  refuseUnknownKeys(layer, ['max_wavelength']);
  const x = inputs[0];
  const { time, hidden } = sequenceDims(layer, x);
  if (time === null) return unsupported(layer, 'an open sequence length');
  const wavelength = config.number('max_wavelength', 10000);
  const f = Math.fround;
  const minFreq = f(1 / wavelength);
  const rates = Array.from({ length: hidden }, (_, j) =>
    f(minFreq ** f(f(2 * Math.floor(j / 2)) / f(hidden))),
  );
  const table = new Float32Array(time * hidden);
  for (let p = 0; p < time; p += 1) {
    for (let j = 0; j < hidden; j += 1) {
      const angle = f(p * rates[j]);
      table[p * hidden + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  const rows = g.constFloat(`${layer.name}_encoding`, [time, hidden], table);
  return { outputs: [broadcastLike(ctx, rows, x)], masks: [null] };
});

/**
 * `TokenAndPositionEmbedding.call(ids)`: the token embedding (a ReversibleEmbedding, looked up as Embedding is,
 * `mask_zero` giving the mask `ids != 0`) plus the position table's first T rows. `tie_weights` only matters
 * for the reverse projection, which this layer never runs.
 */
registerLayer('keras_hub.TokenAndPositionEmbedding', (ctx): LayerResult => {
  const { g, layer, inputs, config } = ctx;
  refuseUnknownKeys(layer, [
    'vocabulary_size',
    'sequence_length',
    'embedding_dim',
    'embeddings_initializer',
    'tie_weights',
    'mask_zero',
  ]);
  const tied = config.bool('tie_weights', true);
  requireWeights(layer, tied ? 2 : 3);
  const [tokens, position] = [layer.weights[0], layer.weights[tied ? 1 : 2]];
  const dim = config.number('embedding_dim');
  const vocab = config.number('vocabulary_size');
  if (tokens.shape.length !== 2 || tokens.shape[0] !== vocab || tokens.shape[1] !== dim)
    unsupported(layer, `token embeddings of shape [${tokens.shape}] for ${vocab} tokens of ${dim}`);
  if (position.shape[0] !== config.number('sequence_length'))
    unsupported(layer, `a position table of shape [${position.shape}]`);
  const ids = inputs[0];
  if (ids.shape.length < 2) unsupported(layer, `ids of shape [${ids.shape}]`);
  const embedding: LayerSpec = {
    name: `${layer.name}/token_embedding`,
    className: 'Embedding',
    config: { name: `${layer.name}/token_embedding`, mask_zero: config.bool('mask_zero', false) },
    inbound: [],
    weights: [tokens],
  };
  const embedded = ctx.convertNested(embedding, [ids], [null]);
  const x = embedded.outputs[0];
  const rows = positionRows(ctx, position, x, x.shape[x.shape.length - 2]);
  const sum = g.op('Add', [x.name, rows]);
  return { outputs: [{ name: sum, shape: x.shape }], masks: [embedded.masks?.[0] ?? null] };
});
