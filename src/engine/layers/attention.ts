import type { AttentionConfig } from '../../keras/layer-classes/attention.js';
import type { Shape } from '../../keras/model.js';
import { and, causalMask, toBool, unsqueeze } from './attention-masks.js';
import { requireWeights, unsupported } from './config.js';
import { splitCallInputs } from './keyword-inputs.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

/**
 * Attention (Luong, `score_mode` dot or concat) and AdditiveAttention (Bahdanau), Keras 3 and tf-keras
 * (keras/src/layers/attention/attention.py, tf_keras/src/layers/attention/base_dense_attention.py), on
 * `[query, value]` or `[query, value, key]` of rank 3:
 * scores -> `scores - 1e9` where the value mask (and the causal mask) is off -> softmax over the values ->
 * `weights @ value`, zeroed where the query mask is off. Masks are the propagated Keras masks or an explicit
 * `mask=[query_mask, value_mask]`. Dropout is the identity at inference.
 */
function convertAttention(ctx: TypedLayerContext<AttentionConfig>, additive: boolean): LayerResult {
  const { g, layer, kwargs, config: cfg } = ctx;
  const { positional, keyword } = splitCallInputs(ctx, ['mask']);
  if (positional.length < 2 || positional.length > 3) unsupported(layer, `${positional.length} inputs`);
  const [q, v] = [positional[0].sym, positional[1].sym];
  const k = positional[2]?.sym ?? v;
  if ([q, v, k].some((t) => t.shape.length !== 3)) unsupported(layer, 'inputs of rank other than 3');
  const explicit = keyword.mask;
  if (explicit && (explicit.length < 2 || explicit.length > 3))
    unsupported(layer, 'a mask list of that length');
  const qMask = explicit ? (explicit[0]?.sym ?? null) : (positional[0].mask ?? null);
  const vMask = explicit ? (explicit[1]?.sym ?? null) : (positional[1].mask ?? null);
  for (const key of ['use_causal_mask', 'return_attention_scores'])
    if (![undefined, null, true, false].includes(kwargs[key] as boolean))
      unsupported(layer, `${key}=${JSON.stringify(kwargs[key])}`);
  const dropout = cfg.number('dropout', 0);
  if (kwargs.training === true && dropout > 0) unsupported(layer, 'training=True with dropout');
  const causal = kwargs.use_causal_mask === true || cfg.bool('causal', false);

  const useScale = cfg.bool('use_scale', additive);
  const mode = additive ? 'additive' : cfg.string('score_mode', 'dot');
  if (mode !== 'dot' && mode !== 'concat' && mode !== 'additive') unsupported(layer, `score_mode ${mode}`);
  const count = (useScale ? 1 : 0) + (mode === 'concat' ? 1 : 0);
  requireWeights(layer, count);
  if (layer.weights.length !== count) unsupported(layer, `${layer.weights.length} weights`);
  const scaleW = useScale ? layer.weights[0] : null;
  const scale = scaleW ? g.constFloat(`${layer.name}_scale`, scaleW.shape, scaleW.data) : null;

  let scores: string;
  if (mode === 'dot') {
    scores = g.op('MatMul', [q.name, g.op('Transpose', [k.name], { perm: { ints: [0, 2, 1] } })]);
    if (scale) scores = g.op('Mul', [scores, scale]);
  } else {
    const sum = g.op('Add', [unsqueeze(g, q.name, [-2]), unsqueeze(g, k.name, [-3])]);
    const axes = g.constInt64('axes_last', [-1]);
    if (mode === 'concat') {
      const inner = g.op('Tanh', [scale ? g.op('Mul', [scale, sum]) : sum]);
      const w = layer.weights[count - 1];
      scores = g.op('Mul', [
        g.constFloat(`${layer.name}_concat_score_weight`, w.shape, w.data),
        g.op('ReduceSum', [inner, axes], { keepdims: { i: 0 } }),
      ]);
    } else {
      const t = g.op('Tanh', [sum]);
      scores = g.op('ReduceSum', [scale ? g.op('Mul', [scale, t]) : t, axes], { keepdims: { i: 0 } });
    }
  }
  let mask: string | null = vMask ? unsqueeze(g, toBool(g, vMask.name), [-2]) : null;
  if (causal) mask = and(g, mask, causalMask(g, q, k));
  if (mask) {
    const shifted = g.op('Sub', [scores, g.constFloat('one_e9', [], [1e9])]);
    scores = g.op('Where', [mask, scores, shifted]);
  }
  const weights = g.op('Softmax', [scores], { axis: { i: -1 } });
  let out = g.op('MatMul', [weights, v.name]);
  if (qMask)
    out = g.op('Where', [unsqueeze(g, toBool(g, qMask.name), [-1]), out, g.constFloat('zero_f', [], [0])]);
  const outShape: Shape = [...q.shape.slice(0, -1), v.shape[2]];
  const outputs: Sym[] = [{ name: out, shape: outShape }];
  if (kwargs.return_attention_scores === true)
    outputs.push({ name: weights, shape: [q.shape[0], q.shape[1], k.shape[1]] });
  return { outputs, masks: outputs.map((_, i) => (i === 0 ? qMask : null)) };
}

const support = {
  kwargs: ['use_causal_mask', 'return_attention_scores', 'training'],
  tensorKwargs: ['mask'],
};
registerLayer('Attention', (ctx) => convertAttention(ctx, false), support);
registerLayer('AdditiveAttention', (ctx) => convertAttention(ctx, true), support);
