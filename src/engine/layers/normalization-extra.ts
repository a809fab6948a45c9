import type { SpectralNormalizationConfig } from '../../keras/layer-classes/normalization.js';
import type { LayerSpec, WeightTensor } from '../../keras/model.js';
import { requireWeights, unsupported } from './config.js';
import { normalizeAxis } from './layout.js';
import { readAxes } from './normalization.js';
import { type LayerResult, registerLayer, type TypedLayerContext } from './registry.js';

/**
 * GroupNormalization (keras/src/layers/normalization/group_normalization.py; tf-keras the same at inference):
 * the channel axis is split into `groups` x `channels / groups`, mean and variance are taken over every axis
 * but the batch and the group axis, and `x * inv + (beta - mean * inv)` with `inv = rsqrt(var + eps) * gamma`.
 * Weights `[gamma?, beta?]` by `scale`/`center`.
 */
registerLayer('GroupNormalization', ({ g, layer, inputs, masks, model, config: cfg }): LayerResult => {
  const x = inputs[0];
  const r = x.shape.length;
  const axis = normalizeAxis(cfg.number('axis', -1), r);
  if (axis <= 0 || axis >= r) unsupported(layer, `axis ${cfg.raw('axis')} on rank ${r}`);
  // tf-keras weights the moments by a mask broadcast to the input; a Keras [batch, time] mask does not broadcast
  if (model.kerasMajor < 3 && masks[0])
    unsupported(layer, 'a Keras mask (tf-keras weights the moments by it)');
  const channels = x.shape[axis];
  if (channels === null) return unsupported(layer, 'an open channel axis');
  let groups = cfg.number('groups', 32);
  if (groups === -1) groups = channels;
  if (!Number.isInteger(groups) || groups <= 0 || channels % groups !== 0)
    unsupported(layer, `groups=${groups} for ${channels} channels`);
  const eps = cfg.number('epsilon', 1e-3);
  const scaleOn = cfg.bool('scale', true);
  const centerOn = cfg.bool('center', true);
  requireWeights(layer, (scaleOn ? 1 : 0) + (centerOn ? 1 : 0));
  const gamma = scaleOn ? layer.weights[0] : null;
  const beta = centerOn ? layer.weights[scaleOn ? 1 : 0] : null;
  for (const w of [gamma, beta])
    if (w && w.data.length !== channels) unsupported(layer, `weight ${w.name} of ${w.data.length} values`);

  const shape = g.op('Shape', [x.name]);
  const slice = (from: number, to: number) =>
    g.op('Slice', [
      shape,
      g.constInt64('start', [from]),
      g.constInt64('end', [to]),
      g.constInt64('axis0', [0]),
    ]);
  const parts = [slice(0, axis), g.constInt64('groups', [groups, channels / groups])];
  if (axis + 1 < r) parts.push(slice(axis + 1, r));
  const grouped = g.op('Reshape', [x.name, g.op('Concat', parts, { axis: { i: 0 } })]);
  const axes = Array.from({ length: r }, (_, i) => i + 1).filter((a) => a !== axis);
  const reduce = (t: string) => g.op('ReduceMean', [t], { axes: { ints: axes }, keepdims: { i: 1 } });
  const mean = reduce(grouped);
  const centred = g.op('Sub', [grouped, mean]);
  const variance = reduce(g.op('Mul', [centred, centred]));
  let inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.constFloat('eps', [], [eps])])])]);
  const bshape = Array.from({ length: r + 1 }, (_, i) =>
    i === axis ? groups : i === axis + 1 ? channels / groups : 1,
  );
  if (gamma) inv = g.op('Mul', [inv, g.constFloat(`${layer.name}_gamma`, bshape, gamma.data)]);
  let res = g.op('Neg', [g.op('Mul', [mean, inv])]);
  if (beta) res = g.op('Add', [res, g.constFloat(`${layer.name}_beta`, bshape, beta.data)]);
  const y = g.op('Add', [g.op('Mul', [grouped, inv]), res]);
  return { outputs: [{ name: g.op('Reshape', [y, shape]), shape: x.shape }] };
});

/** Identity (Keras 3): the input, mask included. */
registerLayer('Identity', ({ inputs }) => ({ outputs: [inputs[0]] }));

/**
 * SpectralNormalization (keras/src/layers/normalization/spectral_normalization.py, tf-keras alike): at
 * inference (`training=False`) it calls the wrapped layer with the kernel as stored; the power-iteration vector
 * `vector_u` only serves training. Weights: the wrapped layer's, plus `vector_u`, which is dropped.
 */
registerLayer(
  'SpectralNormalization',
  ({
    layer,
    inputs,
    masks,
    kwargs,
    convertNested,
  }: TypedLayerContext<SpectralNormalizationConfig>): LayerResult => {
    if (kwargs.training === true) unsupported(layer, 'training=True (it would update the kernel)');
    const inner = layer.config.layer as
      | { class_name?: unknown; config?: Record<string, unknown> }
      | undefined;
    if (!inner || typeof inner.class_name !== 'string' || typeof inner.config !== 'object')
      return unsupported(layer, 'a wrapper without a "layer" config');
    const spec = {
      name: `${layer.name}/${String(inner.config?.name ?? inner.class_name)}`,
      className: inner.class_name,
      config: inner.config ?? {},
      inbound: [],
      weights: wrappedWeights(layer),
    };
    // a Wrapper without mask support: Keras drops the mask, whatever the wrapped layer does with it
    return { outputs: convertNested(spec, inputs, masks).outputs, masks: [null] };
  },
  { kwargs: ['training'] },
);

/**
 * The wrapped layer's weights. HDF5 files name `vector_u`; a `.keras` file stores the wrapper's own variables
 * first (`vars/0` the tracked kernel, again; `vars/1` vector_u), then the wrapped layer's (`layer/vars/...`).
 */
function wrappedWeights(layer: LayerSpec): WeightTensor[] {
  const isU = (name: string) => /(^|[/_])vector_u(:0)?$/.test(name);
  if (layer.weights.some((w) => isU(w.name))) {
    if (layer.weights.filter((w) => isU(w.name)).length !== 1) unsupported(layer, 'several vector_u weights');
    return layer.weights.filter((w) => !isU(w.name));
  }
  const inner = layer.weights.filter((w) => w.name.includes('/layer/vars/'));
  const own = layer.weights.filter((w) => !w.name.includes('/layer/vars/'));
  const [kernel, u] = own;
  const sameKernel =
    kernel !== undefined &&
    inner[0] !== undefined &&
    kernel.data.length === inner[0].data.length &&
    kernel.data.every((v, i) => v === inner[0].data[i]);
  const uFits =
    u !== undefined && u.shape.length === 2 && u.shape[0] === 1 && u.shape[1] === kernel.shape.at(-1);
  if (own.length !== 2 || !sameKernel || !uFits)
    unsupported(
      layer,
      `weights [${layer.weights.map((w) => w.name)}] (expected the kernel, vector_u, then the wrapped layer's)`,
    );
  return inner;
}

/**
 * RMSNormalization (Keras 3, keras/src/ops/nn.py `_rms_normalization`): `x * rsqrt(mean(x^2, axes) + eps)`,
 * times `scale` with the stored shape broadcast from the trailing axes, as Keras multiplies it.
 */
registerLayer('RMSNormalization', ({ g, layer, inputs, config }): LayerResult => {
  const x = inputs[0];
  const axes = readAxes(config, layer, x.shape.length, -1);
  const eps = config.number('epsilon', 1e-6);
  requireWeights(layer, 1);
  const scale = layer.weights[0];
  const off = x.shape.length - scale.shape.length;
  if (off < 1 || scale.shape.some((d, i) => d !== 1 && x.shape[off + i] !== null && x.shape[off + i] !== d))
    unsupported(layer, `scale [${scale.shape}] on input [${x.shape}]`);
  const meanSq = g.op('ReduceMean', [g.op('Mul', [x.name, x.name])], {
    axes: { ints: axes },
    keepdims: { i: 1 },
  });
  const rrms = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSq, g.constFloat('eps', [], [eps])])])]);
  const y = g.op('Mul', [
    g.op('Mul', [x.name, rrms]),
    g.constFloat(`${layer.name}_scale`, scale.shape, scale.data),
  ]);
  return { outputs: [{ name: y, shape: x.shape }], masks: [null] }; // no mask support: Keras 3 drops it
});
