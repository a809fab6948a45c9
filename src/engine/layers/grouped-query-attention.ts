import type { GroupedQueryAttentionConfig } from '../../keras/layer-classes/attention.js';
import { einsum } from '../onnx/einsum.js';
import { and, causalMask, maskedSoftmax, slidingWindowMask, toBool, unsqueeze } from './attention-masks.js';
import { unsupported } from './config.js';
import { einsumProject } from './einsum-dense.js';
import { type CallTensor, splitCallInputs } from './keyword-inputs.js';
import { projectionWeights } from './multi-head-attention.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

const TENSOR_KWARGS = ['query', 'value', 'key', 'attention_mask'] as const;

/**
 * GroupedQueryAttention (Keras 3, keras/src/layers/attention/grouped_query_attention.py): query heads
 * `bqm,muh->bquh`, key/value heads `bkm,mvh->bkvh` each repeated `num_query_heads / num_key_value_heads` times
 * (`ops.repeat` on the head axis), scores `einsum(query / sqrt(head_dim), key)`, masked softmax, combination and
 * `bquh,uhm->bqm`. Masks as MultiHeadAttention merges them (without clearing them), and fully masked rows as
 * Keras 3.10+ computes them on each path (fused `dot_product_attention`, or the Softmax layer).
 */
function convertGqa(ctx: TypedLayerContext<GroupedQueryAttentionConfig>): LayerResult {
  const { g, layer, model, kwargs, config: cfg } = ctx;
  const { positional, keyword } = splitCallInputs(ctx, TENSOR_KWARGS);
  if (positional.length > 3) unsupported(layer, 'more than three positional call arguments');
  const pick = (i: number, key: string): CallTensor | null => positional[i] ?? keyword[key]?.[0] ?? null;
  const query = pick(0, 'query');
  const value = pick(1, 'value');
  if (!query || !value) return unsupported(layer, 'a call without query and value tensors');
  const key = pick(2, 'key');
  const attentionMask = keyword.attention_mask?.[0] ?? null;
  for (const k of ['use_causal_mask', 'return_attention_scores'])
    if (![undefined, null, true, false].includes(kwargs[k] as boolean))
      unsupported(layer, `${k}=${JSON.stringify(kwargs[k])}`);
  const causal = kwargs.use_causal_mask === true;
  const returnScores = kwargs.return_attention_scores === true;
  const dropout = cfg.number('dropout', 0);
  if (kwargs.training === true && dropout > 0) unsupported(layer, 'training=True with dropout');
  const window = cfg.optionalNumber('sliding_window');
  if (window !== null && (!Number.isInteger(window) || window <= 0))
    unsupported(layer, `sliding_window ${window}`);
  if (cfg.bool('flash_attention', false)) unsupported(layer, 'flash_attention');
  const headDim = cfg.number('head_dim');
  const qHeads = cfg.number('num_query_heads');
  const kvHeads = cfg.number('num_key_value_heads');
  if (!Number.isInteger(qHeads / kvHeads))
    unsupported(layer, `${qHeads} query heads over ${kvHeads} key/value heads`);
  const { query: qw, key: kw, gate: gw, value: vw, output: ow } = projectionWeights(layer);
  const [q, v] = [query.sym, value.sym];
  const kIn = key?.sym ?? v;
  if ([q, v, kIn].some((t) => t.shape.length !== 3)) unsupported(layer, 'inputs of rank other than 3');
  const masks = [query.mask, value.mask, key?.mask ?? null];
  const anyMask = masks.some((m) => m) || attentionMask !== null;
  const minor = /^3\.(\d+)/.exec(model.kerasVersion);
  if (anyMask && minor && Number(minor[1]) < 10)
    unsupported(layer, `masks with Keras ${model.kerasVersion} (fully masked rows differ before Keras 3.10)`);

  const qp = einsumProject(g, layer, q, 'bqm,muh->bquh', ...qw);
  const repeat = (t: Sym): string => {
    const idx = Array.from({ length: qHeads }, (_, i) => Math.floor(i / (qHeads / kvHeads)));
    return g.op('Gather', [t.name, g.constInt64('repeat_heads', idx)], { axis: { i: 2 } });
  };
  const heads = (t: Sym): Sym => ({ name: repeat(t), shape: [...t.shape.slice(0, 2), qHeads, headDim] });
  const kp = heads(einsumProject(g, layer, kIn, 'bkm,mvh->bkvh', ...kw));
  const vp = heads(einsumProject(g, layer, v, 'bkm,mvh->bkvh', ...vw));
  const scale = g.constFloat('inv_sqrt_head_dim', [], [1 / Math.sqrt(headDim)]);
  const scaled = { name: g.op('Mul', [qp.name, scale]), shape: qp.shape };
  const scores = einsum(g, 'bquh,bkuh->buqk', scaled, kp);

  let auto: string | null = null;
  if (query.mask) auto = unsqueeze(g, toBool(g, query.mask.name), [-1]);
  for (const m of [value.mask, key?.mask ?? null])
    if (m) auto = and(g, auto, unsqueeze(g, toBool(g, m.name), [-2]));
  if (causal) auto = and(g, auto, causalMask(g, q, v));
  if (window !== null) auto = and(g, auto, slidingWindowMask(g, q, v, window));
  const fused = dropout === 0 && !returnScores;
  let mask = auto;
  let maskIsFloat = false;
  if (attentionMask) {
    if (auto === null && !fused) {
      mask = attentionMask.sym.name; // uncast: the Softmax layer keeps positions where the mask is > 0.5
      maskIsFloat = true;
    } else {
      mask = and(g, auto, toBool(g, attentionMask.sym.name));
    }
    if (attentionMask.sym.shape.length !== 3) unsupported(layer, 'an attention_mask not of rank 3');
  }
  if (mask !== null) mask = unsqueeze(g, mask, [-3]);
  const probs = maskedSoftmax(g, scores, 4, 1, mask, fused ? 'keras3-fused' : 'keras3-layer', maskIsFloat);
  const probsShape = [q.shape[0], qHeads, q.shape[1], kIn.shape[1]];
  let context = einsum(g, 'buqk,bkuh->bquh', { name: probs, shape: probsShape }, vp);
  if (gw)
    context = g.op('Mul', [
      context,
      g.op('Sigmoid', [einsumProject(g, layer, q, 'bqm,muh->bquh', ...gw).name]),
    ]);
  const out = einsumProject(g, layer, { name: context, shape: qp.shape }, 'bquh,uhm->bqm', ...ow);
  const outputs: Sym[] = [out];
  if (returnScores) outputs.push({ name: probs, shape: probsShape });
  return { outputs, masks: outputs.map((_, i) => (i === 0 ? query.mask : null)) };
}

registerLayer('GroupedQueryAttention', convertGqa, {
  kwargs: ['use_causal_mask', 'return_attention_scores', 'training'],
  tensorKwargs: TENSOR_KWARGS,
});
