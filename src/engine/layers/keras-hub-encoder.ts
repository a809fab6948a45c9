import type { MultiHeadAttentionConfig } from '../../keras/layer-classes/attention.js';
import type { TransformerEncoderConfig } from '../../keras/layer-classes/keras-hub.js';
import type { LayerConfig, LayerSpec, WeightTensor } from '../../keras/model.js';
import { onnx } from '../onnx/proto.js';
import { unsqueeze } from './attention-masks.js';
import { ConfigReader, requireWeights, unsupported } from './config.js';
import { refuseUnknownKeys } from './keras-hub.js';
import { splitCallInputs } from './keyword-inputs.js';
import { refuseClearedMaskHazards } from './mha-mask-clearing.js';
import { attend } from './multi-head-attention.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

const INT32 = onnx.TensorProto.DataType.INT32;

/** A sublayer of a keras_hub layer, described as the Keras layer it is (`_feedforward_output_dense`: a Dense). */
function sublayer(
  owner: LayerSpec,
  part: string,
  className: string,
  config: LayerConfig,
  weights: WeightTensor[],
): LayerSpec {
  const name = `${owner.name}/${part}`;
  return { name, className, config: { ...config, name }, inbound: [], weights };
}

/**
 * `merge_padding_and_attention_mask` (keras_hub `transformer_layer_utils.py`): the `padding_mask` argument, else
 * the input's Keras mask, as int32 `[B, 1, S]`; with an `attention_mask` (int32 `[B, T, S]`) their minimum.
 */
function mergedMask(
  ctx: TypedLayerContext<TransformerEncoderConfig>,
  padding: Sym | null,
  attention: Sym | null,
): Sym | null {
  const { g, layer } = ctx;
  const int32 = (s: Sym) => g.op('Cast', [s.name], { to: { i: INT32 } });
  if (padding && padding.shape.length !== 2) unsupported(layer, `a padding mask of shape [${padding.shape}]`);
  if (attention && attention.shape.length !== 3)
    unsupported(layer, `an attention_mask of shape [${attention.shape}]`);
  const pad = padding
    ? { name: unsqueeze(g, int32(padding), [1]), shape: [padding.shape[0], 1, padding.shape[1]] }
    : null;
  if (!attention) return pad;
  const att = { name: int32(attention), shape: attention.shape };
  return pad ? { name: g.op('Min', [pad.name, att.name]), shape: attention.shape } : att;
}

/**
 * keras_hub `TransformerEncoder.call(x, padding_mask, attention_mask)` (keras_hub 0.32
 * `layers/modeling/transformer_encoder.py`): self-attention (a MultiHeadAttention of `num_heads` heads of
 * `hidden // num_heads`, given the merged padding/attention mask and, as Keras runs it, the Keras mask of `x` as
 * its query and value masks), residual, LayerNormalization (before each block with `normalize_first`, after
 * otherwise), a two-Dense feed-forward block (`activation` on the first) and residual. Dropout is the identity
 * at inference. The output keeps the input's Keras mask.
 */
function convertEncoder(ctx: TypedLayerContext<TransformerEncoderConfig>): LayerResult {
  const { g, layer, kwargs, config: cfg } = ctx;
  refuseUnknownKeys(layer, [
    'intermediate_dim',
    'num_heads',
    'dropout',
    'activation',
    'layer_norm_epsilon',
    'kernel_initializer',
    'bias_initializer',
    'normalize_first',
  ]);
  const { positional, keyword } = splitCallInputs(ctx, TENSOR_KWARGS);
  if (positional.length !== 1) unsupported(layer, `${positional.length} positional inputs (1 expected)`);
  if (kwargs.return_attention_scores !== undefined && kwargs.return_attention_scores !== false)
    unsupported(layer, `return_attention_scores=${JSON.stringify(kwargs.return_attention_scores)}`);
  const dropout = cfg.number('dropout', 0);
  if (kwargs.training === true && dropout > 0) unsupported(layer, 'training=True with dropout');
  const input = positional[0];
  const x = input.sym;
  const hidden = x.shape[2];
  if (x.shape.length !== 3 || hidden === null) return unsupported(layer, `an input of shape [${x.shape}]`);
  const heads = cfg.number('num_heads');
  const keyDim = Math.floor(hidden / heads);
  const intermediate = cfg.number('intermediate_dim');
  if (!Number.isInteger(heads) || heads < 1 || keyDim < 1)
    unsupported(layer, `num_heads ${heads} for ${hidden} features`);
  requireWeights(layer, 16);
  const w = layer.weights;
  const fits = (t: WeightTensor, shape: number[]) =>
    t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (
    !fits(w[0], [hidden, heads, keyDim]) ||
    !fits(w[6], [heads, keyDim, hidden]) ||
    !fits(w[12], [hidden, intermediate]) ||
    !fits(w[14], [intermediate, hidden])
  )
    unsupported(
      layer,
      `weights of shapes ${w.map((t) => `[${t.shape}]`).join(' ')} for ${heads} heads, ${hidden} features and intermediate_dim ${intermediate}`,
    );
  if (input.mask) refuseClearedMaskHazards(ctx, [true]);

  const eps = cfg.number('layer_norm_epsilon', 1e-5);
  const norm = (part: string, i: number, t: Sym) =>
    ctx.convertNested(
      sublayer(layer, part, 'LayerNormalization', { epsilon: eps, axis: -1 }, [w[i], w[i + 1]]),
      [t],
      [input.mask],
    ).outputs[0];
  const dense = (part: string, i: number, units: number, activation: string, t: Sym) =>
    ctx.convertNested(
      sublayer(layer, part, 'Dense', { units, activation }, [w[i], w[i + 1]]),
      [t],
      [input.mask],
    ).outputs[0];
  const add = (a: Sym, b: Sym): Sym => ({ name: g.op('Add', [a.name, b.name]), shape: a.shape });
  const first = cfg.bool('normalize_first', false);

  const attentionMask = mergedMask(
    ctx,
    keyword.padding_mask?.[0]?.sym ?? input.mask,
    keyword.attention_mask?.[0]?.sym ?? null,
  );
  const mha = sublayer(
    layer,
    '_self_attention_layer',
    'MultiHeadAttention',
    { num_heads: heads, key_dim: keyDim, dropout },
    w.slice(0, 8),
  );
  let h = first ? norm('_self_attention_layer_norm', 8, x) : x;
  const attended = attend(
    {
      g,
      layer: mha,
      model: ctx.model,
      config: new ConfigReader<MultiHeadAttentionConfig>(mha),
      convertNested: ctx.convertNested,
    },
    {
      query: { sym: h, mask: input.mask },
      value: { sym: h, mask: input.mask },
      key: null,
      attentionMask: attentionMask ? { sym: attentionMask, mask: null } : null,
      causal: false,
      returnScores: false,
      training: kwargs.training === true,
    },
  ).outputs[0];
  h = add(attended, x);
  if (!first) h = norm('_self_attention_layer_norm', 8, h);
  const residual = h;
  let f = first ? norm('_feedforward_layer_norm', 10, h) : h;
  f = dense('_feedforward_intermediate_dense', 12, intermediate, cfg.string('activation', 'relu'), f);
  f = dense('_feedforward_output_dense', 14, hidden, 'linear', f);
  h = add(f, residual);
  if (!first) h = norm('_feedforward_layer_norm', 10, h);
  return { outputs: [h], masks: [input.mask] };
}

const TENSOR_KWARGS = ['padding_mask', 'attention_mask'] as const;

registerLayer('keras_hub.TransformerEncoder', convertEncoder, {
  kwargs: ['training', 'return_attention_scores'],
  tensorKwargs: TENSOR_KWARGS,
});
