import type { MultiHeadAttentionConfig } from '../../keras/layer-classes/attention.js';
import type { TransformerBlockConfig } from '../../keras/layer-classes/keras-hub.js';
import type { LayerConfig, LayerSpec, WeightTensor } from '../../keras/model.js';
import { onnx } from '../onnx/proto.js';
import { causalMask, unsqueeze } from './attention-masks.js';
import { ConfigReader, requireWeights, unsupported } from './config.js';
import { refuseUnknownKeys } from './keras-hub.js';
import { attend } from './multi-head-attention.js';
import type { Sym, TypedLayerContext } from './registry.js';

const INT32 = onnx.TensorProto.DataType.INT32;

/** The config keys TransformerEncoder and TransformerDecoder share. */
const BLOCK_KEYS = [
  'intermediate_dim',
  'num_heads',
  'dropout',
  'activation',
  'layer_norm_epsilon',
  'kernel_initializer',
  'bias_initializer',
  'normalize_first',
];

/**
 * The pieces of keras_hub's transformer blocks, each a Keras layer the engine already converts, run on the
 * block's weights from `offset` on: LayerNormalization (`layer_norm_epsilon`), Dense, MultiHeadAttention
 * (`num_heads` heads of `hidden // num_heads`, `dropout`), and the int32 masks keras_hub merges.
 */
export class TransformerBlock {
  readonly hidden: number;
  readonly heads: number;
  readonly keyDim: number;
  readonly intermediate: number;
  readonly normalizeFirst: boolean;
  readonly training: boolean;
  private readonly eps: number;
  private readonly dropout: number;

  constructor(
    private readonly ctx: TypedLayerContext<TransformerBlockConfig>,
    x: Sym,
    weightCount: number,
    extraKeys: readonly string[] = [],
  ) {
    const { layer, kwargs, config: cfg } = ctx;
    refuseUnknownKeys(ctx, [...BLOCK_KEYS, ...extraKeys]);
    this.dropout = cfg.number('dropout', 0);
    this.training = kwargs.training === true;
    if (this.training && this.dropout > 0) unsupported(layer, 'training=True with dropout');
    const hidden = x.shape[2];
    if (x.shape.length !== 3 || hidden === null) unsupported(layer, `an input of shape [${x.shape}]`);
    this.hidden = hidden;
    this.heads = cfg.number('num_heads');
    this.keyDim = Math.floor(hidden / this.heads);
    this.intermediate = cfg.number('intermediate_dim');
    if (!Number.isInteger(this.heads) || this.heads < 1 || this.keyDim < 1)
      unsupported(layer, `num_heads ${this.heads} for ${hidden} features`);
    this.eps = cfg.number('layer_norm_epsilon', 1e-5);
    this.normalizeFirst = cfg.bool('normalize_first', false);
    requireWeights(layer, weightCount);
    if (layer.weights.length !== weightCount)
      unsupported(layer, `${layer.weights.length} weights (expected ${weightCount})`);
  }

  private part(
    name: string,
    className: string,
    config: LayerConfig,
    offset: number,
    count: number,
  ): LayerSpec {
    const { layer } = this.ctx;
    const full = `${layer.name}/${name}`;
    const weights = layer.weights.slice(offset, offset + count);
    return { name: full, className, config: { ...config, name: full }, inbound: [], weights };
  }

  /** Checks a weight's shape, naming the block's options when it does not fit. */
  expectShape(offset: number, shape: number[]): void {
    const w: WeightTensor = this.ctx.layer.weights[offset];
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))
      unsupported(
        this.ctx.layer,
        `weight ${w.name} of shape [${w.shape}] (expected [${shape}] for ${this.heads} heads, ${this.hidden} features and intermediate_dim ${this.intermediate})`,
      );
  }

  norm(name: string, offset: number, x: Sym, mask: Sym | null): Sym {
    const spec = this.part(name, 'LayerNormalization', { epsilon: this.eps, axis: -1 }, offset, 2);
    return this.ctx.convertNested(spec, [x], [mask]).outputs[0];
  }

  /** `[_feedforward_intermediate_dense, _feedforward_output_dense]` at `offset` (activation on the first). */
  feedForward(offset: number, x: Sym, mask: Sym | null): Sym {
    const activation = this.ctx.config.string('activation', 'relu');
    this.expectShape(offset, [this.hidden, this.intermediate]);
    this.expectShape(offset + 2, [this.intermediate, this.hidden]);
    const inner = this.part(
      '_feedforward_intermediate_dense',
      'Dense',
      { units: this.intermediate, activation },
      offset,
      2,
    );
    const h = this.ctx.convertNested(inner, [x], [mask]).outputs[0];
    const outer = this.part(
      '_feedforward_output_dense',
      'Dense',
      { units: this.hidden, activation: 'linear' },
      offset + 2,
      2,
    );
    return this.ctx.convertNested(outer, [h], [mask]).outputs[0];
  }

  /**
   * A MultiHeadAttention sublayer with its 8 weights at `offset`: `query` attends to `value` under the int32
   * `attentionMask`, with the Keras masks `queryMask`/`valueMask` a standard MultiHeadAttention reads (keras_hub's
   * CachedMultiHeadAttention reads none: pass null).
   */
  attention(
    name: string,
    offset: number,
    query: Sym,
    value: Sym,
    masks: { query: Sym | null; value: Sym | null; attention: Sym | null },
  ): Sym {
    this.expectShape(offset, [this.hidden, this.heads, this.keyDim]);
    this.expectShape(offset + 6, [this.heads, this.keyDim, this.hidden]);
    const config = { num_heads: this.heads, key_dim: this.keyDim, dropout: this.dropout };
    const mha = this.part(name, 'MultiHeadAttention', config, offset, 8);
    const { g, model, convertNested } = this.ctx;
    const sub = {
      g,
      layer: mha,
      model,
      config: new ConfigReader<MultiHeadAttentionConfig>(mha),
      convertNested,
    };
    return attend(sub, {
      query: { sym: query, mask: masks.query },
      value: { sym: value, mask: masks.value },
      key: null,
      attentionMask: masks.attention ? { sym: masks.attention, mask: null } : null,
      causal: false,
      returnScores: false,
      training: this.training,
    }).outputs[0];
  }

  add(a: Sym, b: Sym): Sym {
    return { name: this.ctx.g.op('Add', [a.name, b.name]), shape: a.shape };
  }

  /**
   * `merge_padding_and_attention_mask` (keras_hub `transformer_layer_utils.py`): the padding mask (an argument,
   * else the sequence's Keras mask) as int32 `[B, 1, S]`; with an attention mask (int32 `[B, T, S]`) their
   * minimum.
   */
  mergedMask(padding: Sym | null, attention: Sym | null): Sym | null {
    const { g, layer } = this.ctx;
    if (padding && padding.shape.length !== 2)
      unsupported(layer, `a padding mask of shape [${padding.shape}]`);
    if (attention && attention.shape.length !== 3)
      unsupported(layer, `an attention mask of shape [${attention.shape}]`);
    const pad = padding
      ? { name: unsqueeze(g, this.int32(padding.name), [1]), shape: [padding.shape[0], 1, padding.shape[1]] }
      : null;
    if (!attention) return pad;
    const att = { name: this.int32(attention.name), shape: attention.shape };
    return pad ? { name: g.op('Min', [pad.name, att.name]), shape: attention.shape } : att;
  }

  /** `compute_causal_mask` (`i >= j`, `[1, T, T]`) as int32, its minimum with `mask` when there is one. */
  withCausal(x: Sym, mask: Sym | null): Sym {
    const { g } = this.ctx;
    const causal = this.int32(causalMask(g, x, x));
    const shape = [mask?.shape[0] ?? 1, x.shape[1], x.shape[1]];
    return { name: mask ? g.op('Min', [mask.name, causal]) : causal, shape };
  }

  private int32(name: string): string {
    return this.ctx.g.op('Cast', [name], { to: { i: INT32 } });
  }
}
