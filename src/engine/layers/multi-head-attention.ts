import type { HeadsAttentionConfig, MultiHeadAttentionConfig } from '../../keras/layer-classes/attention.js';
import type { LayerSpec, Shape, WeightTensor } from '../../keras/model.js';
import { einsum } from '../onnx/einsum.js';
import {
  and,
  causalMask,
  type MaskedSoftmax,
  maskedSoftmax,
  slidingWindowMask,
  toBool,
  unsqueeze,
} from './attention-masks.js';
import { ConfigReader, requireWeights, unsupported } from './config.js';
import { einsumProject } from './einsum-dense.js';
import { type CallTensor, splitCallInputs } from './keyword-inputs.js';
import { refuseClearedMaskHazards } from './mha-mask-clearing.js';
import { type LayerResult, registerLayer, type Sym, type TypedLayerContext } from './registry.js';

const letter = (i: number) => String.fromCharCode(97 + i);

/** `_build_proj_equation` of keras/src/layers/attention/multi_head_attention.py. */
function projEquation(free: number, bound: number, output: number): string {
  let inp = '';
  let ker = '';
  let out = '';
  for (let i = 0; i < free; i += 1) {
    inp += letter(i);
    out += letter(i);
  }
  for (let i = 0; i < bound; i += 1) {
    inp += letter(free + i);
    ker += letter(free + i);
  }
  for (let i = 0; i < output; i += 1) {
    ker += letter(free + bound + i);
    out += letter(free + bound + i);
  }
  return `${inp},${ker}->${out}`;
}

/** `_build_attention_equation`: the query-key product and the combination, for projected rank `rank`. */
function attentionEquations(rank: number, axes: number[]): { dot: string; combine: string } {
  const target = Array.from({ length: rank }, (_, i) => letter(i));
  const batch = target.map((_, i) => i).filter((i) => !axes.includes(i) && i !== rank - 1);
  let offset = rank;
  const source = target.map((c, i) => (batch.includes(i) || i === rank - 1 ? c : letter(offset++)));
  const product = [
    ...batch.map((i) => target[i]),
    ...axes.map((i) => target[i]),
    ...axes.map((i) => source[i]),
  ];
  const [t, s, p] = [target.join(''), source.join(''), product.join('')];
  return { dot: `${s},${t}->${p}`, combine: `${p},${s}->${t}` };
}

/** Attention axes as each Keras version normalizes them, refused unless they are input axes between batch and features. */
function attentionAxes(layer: LayerSpec, kerasMajor: number, inputRank: number): number[] {
  const raw = new ConfigReader<MultiHeadAttentionConfig>(layer).raw('attention_axes');
  const rank = inputRank + 1;
  if (raw === undefined || raw === null) return Array.from({ length: rank - 3 }, (_, i) => i + 1);
  const list = typeof raw === 'number' ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'number' && Number.isInteger(a)))
    return unsupported(layer, `attention_axes ${JSON.stringify(raw)}`);
  // Keras 3 maps a negative axis against the input rank, tf-keras (numpy) against the projected rank.
  const axes = (list as number[]).map((a) => (a >= 0 ? a : a + (kerasMajor >= 3 ? rank - 1 : rank)));
  if (axes.length === 0 || new Set(axes).size !== axes.length || axes.some((a) => a < 1 || a > rank - 3))
    return unsupported(layer, `attention_axes ${JSON.stringify(raw)} on inputs of rank ${inputRank}`);
  return axes;
}

/**
 * MultiHeadAttention (Keras 3 and tf-keras): EinsumDense projections of query/key/value into heads, scores
 * `einsum(key, query / sqrt(key_dim))`, a softmax over the attention axes masked by the merged attention mask
 * (explicit `attention_mask`, the Keras masks of query/value/key, `use_causal_mask`), the combination with the
 * values and the output projection. Masked positions are treated exactly as each Keras version does, including
 * fully masked rows (see `MaskedSoftmax`). Dropout is the identity at inference.
 */
function convertMha(ctx: TypedLayerContext<MultiHeadAttentionConfig>): LayerResult {
  const { layer, kwargs } = ctx;
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
  return attend(ctx, {
    query,
    value,
    key,
    attentionMask,
    causal: kwargs.use_causal_mask === true,
    returnScores: kwargs.return_attention_scores === true,
    training: kwargs.training === true,
  });
}

/** One call of a MultiHeadAttention layer: its tensors with their Keras masks, and its flags. */
export interface AttentionCall {
  query: CallTensor;
  value: CallTensor;
  key: CallTensor | null;
  attentionMask: CallTensor | null;
  causal: boolean;
  returnScores: boolean;
  training: boolean;
}

/**
 * The attention itself, for the layer in `ctx` (its config and weights; `layer` may be a sublayer another
 * converter describes, such as keras_hub's TransformerEncoder's `_self_attention_layer`).
 */
export function attend(
  ctx: Omit<TypedLayerContext<MultiHeadAttentionConfig>, 'inputs' | 'masks' | 'kwargs'>,
  call: AttentionCall,
): LayerResult {
  const { g, layer, model, config: cfg } = ctx;
  const k3 = model.kerasMajor >= 3;
  const { query, value, key, attentionMask, causal, returnScores } = call;
  const dropout = cfg.number('dropout', 0);
  if (call.training && dropout > 0) unsupported(layer, 'training=True with dropout');
  const window = cfg.optionalNumber('sliding_window');
  if (window !== null && (!Number.isInteger(window) || window <= 0))
    unsupported(layer, `sliding_window ${window}`);
  if (cfg.bool('flash_attention', false)) unsupported(layer, 'flash_attention');

  const keyDim = cfg.number('key_dim');
  const { query: qw, key: kw, gate: gw, value: vw, output: ow } = projectionWeights(layer);
  const q = query.sym;
  const v = value.sym;
  const kIn = key?.sym ?? v;
  const rank = q.shape.length + 1;
  if (v.shape.length !== q.shape.length || kIn.shape.length !== q.shape.length)
    unsupported(layer, 'query, value and key of different ranks');
  const proj = (x: Sym, [kernel, bias]: Projection) =>
    einsumProject(g, layer, x, projEquation(x.shape.length - 1, 1, 2), kernel, bias);
  const qp = proj(q, qw);
  const kp = proj(kIn, kw);
  const vp = proj(v, vw);

  const axes = attentionAxes(layer, model.kerasMajor, q.shape.length);
  const eq = attentionEquations(rank, axes);
  const scale = g.constFloat('inv_sqrt_key_dim', [], [1 / Math.sqrt(keyDim)]);
  const scores = einsum(g, eq.dot, kp, { name: g.op('Mul', [qp.name, scale]), shape: qp.shape });
  const scoresShape = scoreShape(eq.dot, kp.shape, qp.shape);

  // The merged attention mask, [B, T, S] for rank-3 inputs (`_compute_attention_mask`).
  const masks = [query.mask, value.mask, key?.mask ?? null];
  if (k3 && masks.some((m) => m))
    refuseClearedMaskHazards(
      ctx,
      masks.map((m) => m !== null),
    );
  if ((masks.some((m) => m) || causal || window !== null) && rank !== 4)
    unsupported(layer, 'Keras masks, use_causal_mask or sliding_window on inputs of rank above 3');
  let auto: string | null = null;
  if (query.mask) auto = unsqueeze(g, toBool(g, query.mask.name), [-1]);
  for (const m of [value.mask, key?.mask ?? null])
    if (m) auto = and(g, auto, unsqueeze(g, toBool(g, m.name), [-2]));
  if (causal) auto = and(g, auto, causalMask(g, q, v));
  if (window !== null) auto = and(g, auto, slidingWindowMask(g, q, v, window));
  let mask: string | null = auto;
  let maskIsFloat = false;
  if (attentionMask) {
    if (auto === null && !k3) {
      mask = attentionMask.sym.name; // tf-keras keeps the mask's own dtype when nothing merges with it
      maskIsFloat = true;
    } else {
      mask = and(g, auto, toBool(g, attentionMask.sym.name));
    }
  }
  let maskRank = attentionMask ? attentionMask.sym.shape.length : 3;
  if (mask !== null && maskRank > scoresShape.length)
    unsupported(layer, 'an attention_mask of too high rank');
  while (mask !== null && maskRank < scoresShape.length) {
    mask = unsqueeze(g, mask, [-2 * axes.length - 1]); // `_masked_softmax`: before the query attention axes
    maskRank += 1;
  }
  if (k3 && (masks.some((m) => m) || attentionMask) && keras3Minor(model.kerasVersion) < 10) {
    // Rows with every position masked: before Keras 3.10 the Softmax layer did not zero them and before 3.7
    // MultiHeadAttention never took the fused path; only the 3.10+ behaviour is implemented.
    unsupported(layer, `masks with Keras ${model.kerasVersion} (fully masked rows differ before Keras 3.10)`);
  }
  const fused = k3 && rank === 4 && dropout === 0 && !returnScores;
  const kind: MaskedSoftmax = k3
    ? fused
      ? 'keras3-fused'
      : 'keras3-layer'
    : cfg.bool('softmax_robust_masking', false)
      ? 'tf-keras-robust'
      : 'tf-keras-add';
  const probs = maskedSoftmax(g, scores, scoresShape.length, axes.length, mask, kind, maskIsFloat);
  let context = einsum(g, eq.combine, { name: probs, shape: scoresShape }, vp);
  if (gw) context = g.op('Mul', [context, g.op('Sigmoid', [proj(q, gw).name])]); // use_gate
  const contextShape: Shape = [...qp.shape.slice(0, -1), vp.shape[vp.shape.length - 1]];
  const outDims = ow[0].shape.length - 2;
  const out = einsumProject(
    g,
    layer,
    { name: context, shape: contextShape },
    projEquation(q.shape.length - 1, 2, outDims),
    ow[0],
    ow[1],
  );
  checkOutputShape(layer, cfg.raw('output_shape'), q, out.shape);
  const outputs = returnScores ? [out, { name: probs, shape: scoresShape }] : [out];
  return { outputs, masks: outputs.map((_, i) => (i === 0 ? query.mask : null)) };
}

/** The minor version of a Keras 3 version string (`3.15.1` -> 15); unknown versions count as current. */
function keras3Minor(version: string): number {
  const m = /^3\.(\d+)/.exec(version);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

type Projection = [WeightTensor, WeightTensor | null];

/**
 * The kernel and bias of each projection, in the order Keras builds them: query, key, the `use_gate` gate
 * (Keras 3), value, output; without biases when `use_bias` is off.
 */
export function projectionWeights(layer: LayerSpec): Record<
  'query' | 'key' | 'value' | 'output',
  Projection
> & {
  gate: Projection | null;
} {
  const cfg = new ConfigReader<HeadsAttentionConfig>(layer);
  const useBias = cfg.bool('use_bias', true);
  const gated = cfg.bool('use_gate', false);
  const parts = gated ? 5 : 4;
  const count = useBias ? 2 * parts : parts;
  requireWeights(layer, count);
  if (layer.weights.length !== count)
    unsupported(layer, `${layer.weights.length} weights (expected ${count})`);
  const at = (i: number): Projection =>
    useBias ? [layer.weights[2 * i], layer.weights[2 * i + 1]] : [layer.weights[i], null];
  return gated
    ? { query: at(0), key: at(1), gate: at(2), value: at(3), output: at(4) }
    : { query: at(0), key: at(1), gate: null, value: at(2), output: at(3) };
}

function scoreShape(equation: string, a: Shape, b: Shape): Shape {
  const [ins, out] = equation.split('->');
  const [sa, sb] = ins.split(',');
  const size = new Map<string, number | null>();
  [...sa].forEach((c, i) => {
    size.set(c, a[i]);
  });
  [...sb].forEach((c, i) => {
    if (size.get(c) === undefined || size.get(c) === null) size.set(c, b[i]);
  });
  return [...out].map((c) => size.get(c) ?? null);
}

function checkOutputShape(layer: LayerSpec, raw: unknown, q: Sym, out: Shape): void {
  const unset = raw === null || raw === undefined || raw === 0 || (Array.isArray(raw) && raw.length === 0);
  const want = unset ? [q.shape[q.shape.length - 1]] : raw;
  const list = typeof want === 'number' ? [want] : want;
  const got = out.slice(q.shape.length - 1);
  if (!Array.isArray(list) || list.length !== got.length || list.some((d, i) => d !== got[i]))
    unsupported(layer, `output_shape ${JSON.stringify(raw)} with an output kernel giving [${got}]`);
}

const TENSOR_KWARGS = ['query', 'value', 'key', 'attention_mask'] as const;

registerLayer('MultiHeadAttention', convertMha, {
  kwargs: ['use_causal_mask', 'return_attention_scores', 'training'],
  tensorKwargs: TENSOR_KWARGS,
});
