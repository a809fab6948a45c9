import { onnx } from '../onnx/proto.js';
import { requireWeights, unsupported } from './config.js';
import { registerLayer } from './registry.js';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/**
 * Embedding (keras/src/layers/core/embedding.py): ids arrive as float32 from the graph input, are cast to
 * int64 and looked up with Gather. With `mask_zero` the output mask is `ids != 0`. `input_length` only
 * fixed the static shape and is ignored.
 */
registerLayer('Embedding', ({ g, layer, inputs, config: cfg }) => {
  if (cfg.has('lora_rank') && cfg.number('lora_rank', 0) > 0) unsupported(layer, 'lora_rank');
  requireWeights(layer, 1);
  const table = layer.weights[0];
  if (table.shape.length !== 2)
    unsupported(layer, `an embeddings matrix of shape [${table.shape.join(', ')}]`);
  const ids = inputs[0];
  const emb = g.constFloat(`${layer.name}_embeddings`, table.shape, table.data);
  const idx = g.op('Cast', [ids.name], { to: { i: INT64 } });
  const out = g.op('Gather', [emb, idx], { axis: { i: 0 } });
  const shape = [...ids.shape, table.shape[1]];
  if (!cfg.bool('mask_zero', false)) return { outputs: [{ name: out, shape }], masks: [null] };
  const nonZero = g.op('Not', [g.op('Equal', [ids.name, g.constFloat('zero', [], [0])])]);
  const mask = g.op('Cast', [nonZero], { to: { i: FLOAT } });
  return { outputs: [{ name: out, shape }], masks: [{ name: mask, shape: ids.shape }] };
});

/**
 * Masking (keras/src/layers/core/masking.py): a step is kept when any feature differs from `mask_value`;
 * the output is `x * keep` and the mask is `keep` over `[batch, time]`.
 */
registerLayer('Masking', ({ g, inputs, config: cfg }) => {
  const x = inputs[0];
  const value = cfg.number('mask_value', 0);
  const differs = g.op('Not', [g.op('Equal', [x.name, g.constFloat('mask_value', [], [value])])]);
  const keep = g.op('ReduceMax', [g.op('Cast', [differs], { to: { i: FLOAT } })], {
    axes: { ints: [-1] },
    keepdims: { i: 1 },
  });
  const out = g.op('Mul', [x.name, keep]);
  const mask = g.op('Squeeze', [keep, g.constInt64('axis_m1', [-1])]);
  return {
    outputs: [{ name: out, shape: x.shape }],
    masks: [{ name: mask, shape: x.shape.slice(0, -1) }],
  };
});

/**
 * Keras 3 ReversibleEmbedding (keras/src/layers/core/reversible_embedding.py; keras_hub's ReversibleEmbedding is
 * the same class): called on ids it is an Embedding (`mask_zero` gives the mask `ids != 0`); called with
 * `reverse=True` on `[…, output_dim]` features it gives logits `x @ embeddings.T` (or `x @ reverse_embeddings`
 * when `tie_weights` is off), with `logit_soft_cap` c: `tanh(logits / c) * c`; no mask.
 */
registerLayer(
  'ReversibleEmbedding',
  (ctx) => {
    const { g, layer, inputs, kwargs, config: cfg } = ctx;
    if (cfg.has('lora_rank') && cfg.number('lora_rank', 0) > 0) unsupported(layer, 'lora_rank');
    if (cfg.has('quantization_config')) unsupported(layer, 'quantization_config');
    const reverseDtype = cfg.raw('reverse_dtype');
    if (reverseDtype !== undefined && reverseDtype !== null && reverseDtype !== 'float32')
      unsupported(layer, `reverse_dtype ${JSON.stringify(reverseDtype)}`);
    const tied = cfg.bool('tie_weights', true);
    requireWeights(layer, tied ? 1 : 2);
    const table = layer.weights[0];
    if (table.shape.length !== 2) unsupported(layer, `an embeddings matrix of shape [${table.shape}]`);
    const [vocab, dim] = table.shape;
    if (kwargs.reverse !== undefined && typeof kwargs.reverse !== 'boolean')
      unsupported(layer, `reverse=${JSON.stringify(kwargs.reverse)}`);
    if (kwargs.reverse !== true) {
      const lookup = { ...layer, className: 'Embedding', weights: [table] };
      return ctx.convertNested(lookup, inputs, ctx.masks);
    }
    const x = inputs[0];
    if (x.shape[x.shape.length - 1] !== dim)
      unsupported(layer, `a reverse call on features of shape [${x.shape}]`);
    let kernel: string;
    if (tied) {
      const t = g.constFloat(`${layer.name}_embeddings`, table.shape, table.data);
      kernel = g.op('Transpose', [t], { perm: { ints: [1, 0] } });
    } else {
      const r = layer.weights[1];
      if (r.shape.length !== 2 || r.shape[0] !== dim || r.shape[1] !== vocab)
        unsupported(layer, `reverse embeddings of shape [${r.shape}] for [${dim}, ${vocab}]`);
      kernel = g.constFloat(`${layer.name}_reverse_embeddings`, r.shape, r.data);
    }
    let logits = g.op('MatMul', [x.name, kernel]);
    const cap = cfg.optionalNumber('logit_soft_cap');
    if (cap !== null) {
      const c = g.constFloat(`${layer.name}_soft_cap`, [], [cap]);
      logits = g.op('Mul', [g.op('Tanh', [g.op('Div', [logits, c])]), c]);
    }
    return { outputs: [{ name: logits, shape: [...x.shape.slice(0, -1), vocab] }], masks: [null] };
  },
  { kwargs: ['reverse'] },
);
