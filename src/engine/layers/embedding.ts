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
