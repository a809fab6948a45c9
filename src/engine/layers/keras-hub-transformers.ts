import type {
  TransformerDecoderConfig,
  TransformerEncoderConfig,
} from '../../keras/layer-classes/keras-hub.js';
import { unsupported } from './config.js';
import { TransformerBlock } from './keras-hub-blocks.js';
import { type CallTensor, splitCallInputs } from './keyword-inputs.js';
import { refuseClearedMaskHazards } from './mha-mask-clearing.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

/**
 * keras_hub `TransformerEncoder.call(x, padding_mask, attention_mask)` (keras_hub 0.32
 * `layers/modeling/transformer_encoder.py`): self-attention (a standard MultiHeadAttention, given the merged
 * padding/attention mask and, as Keras runs it, the Keras mask of `x` as its query and value masks), residual,
 * LayerNormalization (before each block with `normalize_first`, after otherwise), a two-Dense feed-forward
 * block and residual. Dropout is the identity at inference. The output keeps the input's Keras mask.
 */
function convertEncoder(ctx: TypedLayerContext<TransformerEncoderConfig>): LayerResult {
  const { layer } = ctx;
  const { positional, keyword } = splitCallInputs(ctx, ENCODER_TENSORS);
  if (positional.length !== 1) unsupported(layer, `${positional.length} positional inputs (1 expected)`);
  refuseScores(ctx);
  const { sym: x, mask } = positional[0];
  const b = new TransformerBlock(ctx, x, 16);
  if (mask) refuseClearedMaskHazards(ctx, [true]);
  const attentionMask = b.mergedMask(
    keyword.padding_mask?.[0]?.sym ?? mask,
    keyword.attention_mask?.[0]?.sym ?? null,
  );
  const first = b.normalizeFirst;
  let h = first ? b.norm('_self_attention_layer_norm', 8, x, mask) : x;
  h = b.add(
    b.attention('_self_attention_layer', 0, h, h, { query: mask, value: mask, attention: attentionMask }),
    x,
  );
  if (!first) h = b.norm('_self_attention_layer_norm', 8, h, mask);
  const f = b.feedForward(12, first ? b.norm('_feedforward_layer_norm', 10, h, mask) : h, mask);
  h = b.add(f, h);
  if (!first) h = b.norm('_feedforward_layer_norm', 10, h, mask);
  return { outputs: [h], masks: [mask] };
}

function refuseScores(ctx: TypedLayerContext<object>): void {
  const v = ctx.kwargs.return_attention_scores;
  if (v !== undefined && v !== false) unsupported(ctx.layer, `return_attention_scores=${JSON.stringify(v)}`);
}

/**
 * keras_hub `TransformerDecoder.call(decoder_sequence, encoder_sequence, …)` (keras_hub 0.32
 * `layers/modeling/transformer_decoder.py`), without caches: causal self-attention (`use_causal_mask`, default
 * on; the merged decoder padding/attention mask), residual and norm; with an encoder sequence a cross-attention
 * block (the merged encoder padding/attention mask) the same way; then the feed-forward block. Its attention
 * layers are keras_hub's CachedMultiHeadAttention, which read no Keras masks (only the merged ones). The
 * output keeps the decoder sequence's Keras mask.
 */
function convertDecoder(ctx: TypedLayerContext<TransformerDecoderConfig>): LayerResult {
  const { layer, kwargs, config } = ctx;
  const { positional, keyword } = splitCallInputs(ctx, DECODER_TENSORS);
  if (positional.length > 2) unsupported(layer, `${positional.length} positional inputs (1 or 2 expected)`);
  const decoder: CallTensor | null = positional[0] ?? keyword.decoder_sequence?.[0] ?? null;
  const encoder: CallTensor | null = positional[1] ?? keyword.encoder_sequence?.[0] ?? null;
  if (!decoder) return unsupported(layer, 'a call without a decoder sequence');
  const built = config.raw('encoder_sequence_shape');
  const cross = built !== undefined && built !== null;
  if (cross !== (encoder !== null))
    unsupported(
      layer,
      cross
        ? 'a call without the encoder sequence it was built with'
        : 'an encoder sequence it was not built with',
    );
  const causal = kwargs.use_causal_mask ?? true;
  if (typeof causal !== 'boolean') unsupported(layer, `use_causal_mask=${JSON.stringify(causal)}`);
  const x = decoder.sym;
  const mask = decoder.mask;
  const b = new TransformerBlock(ctx, x, cross ? 26 : 16, [
    'decoder_sequence_shape',
    'encoder_sequence_shape',
  ]);
  const pick = (key: string, fallback: Sym | null) => keyword[key]?.[0]?.sym ?? fallback;
  let selfMask = b.mergedMask(pick('decoder_padding_mask', mask), pick('decoder_attention_mask', null));
  if (causal) selfMask = b.withCausal(x, selfMask);
  const first = b.normalizeFirst;
  const masks = (attention: Sym | null) => ({ query: null, value: null, attention });
  let h = first ? b.norm('_self_attention_layer_norm', 8, x, mask) : x;
  h = b.add(b.attention('_self_attention_layer', 0, h, h, masks(selfMask)), x);
  if (!first) h = b.norm('_self_attention_layer_norm', 8, h, mask);
  let ff = 10;
  if (encoder) {
    const e = encoder.sym;
    if (e.shape.length !== 3 || e.shape[2] !== b.hidden)
      unsupported(layer, `an encoder sequence of shape [${e.shape}]`);
    const crossMask = b.mergedMask(
      pick('encoder_padding_mask', encoder.mask),
      pick('encoder_attention_mask', null),
    );
    const q = first ? b.norm('_cross_attention_layer_norm', 18, h, mask) : h;
    h = b.add(b.attention('_cross_attention_layer', 10, q, e, masks(crossMask)), h);
    if (!first) h = b.norm('_cross_attention_layer_norm', 18, h, mask);
    ff = 20;
  }
  const f = b.feedForward(ff, first ? b.norm('_feedforward_layer_norm', ff + 4, h, mask) : h, mask);
  h = b.add(f, h);
  if (!first) h = b.norm('_feedforward_layer_norm', ff + 4, h, mask);
  return { outputs: [h], masks: [mask] };
}

const ENCODER_TENSORS = ['padding_mask', 'attention_mask'] as const;
const DECODER_TENSORS = [
  'decoder_sequence',
  'encoder_sequence',
  'decoder_padding_mask',
  'decoder_attention_mask',
  'encoder_padding_mask',
  'encoder_attention_mask',
] as const;

registerLayer('keras_hub.TransformerEncoder', convertEncoder, {
  kwargs: ['training', 'return_attention_scores'],
  tensorKwargs: ENCODER_TENSORS,
});

registerLayer('keras_hub.TransformerDecoder', convertDecoder, {
  kwargs: ['training', 'use_causal_mask'],
  tensorKwargs: DECODER_TENSORS,
});
