import { unsupported } from './config.js';
import { refuseUnknownKeys } from './keras-hub.js';
import { registerLayer } from './registry.js';

const f = Math.fround;

/** `_get_inverse_freq`: `max_wavelength ** -(2i / denominator)`, scaled by rope_type, in float32 steps. */
function inverseFrequencies(
  dim: number,
  wavelength: number,
  denominator: number,
  ropeType: string,
  scaling: number,
) {
  const inv = Array.from({ length: dim / 2 }, (_, i) => f(f(wavelength) ** -f(f(2 * i) / f(denominator))));
  if (ropeType === 'linear') return inv.map((v) => f(v / f(scaling)));
  if (ropeType === 'dynamic') {
    const divisor = f(f(scaling) ** f(f(dim) / f(Math.max(1, dim - 2))));
    return inv.map((v) => f(v / divisor));
  }
  return inv; // any other rope_type but yarn: unscaled, as keras_hub computes it
}

/**
 * keras_hub `RotaryEmbedding.call(x)` (keras_hub 0.32 `layers/modeling/rotary_embedding.py`): with `D` features
 * (even) on the last axis and positions `p` on axis 1, `x * cos(e) + concat(-x2, x1) * sin(e)` where `x1`, `x2`
 * are the feature halves and `e[p, k] = p * inv[k mod D/2]` (rope_type linear, dynamic, or unscaled); the
 * cos/sin tables are constants of the known sequence length, broadcast over the axes between. No mask.
 */
registerLayer('keras_hub.RotaryEmbedding', (ctx) => {
  const { g, layer, inputs, config: cfg } = ctx;
  refuseUnknownKeys(ctx, [
    'max_wavelength',
    'scaling_factor',
    'rope_type',
    'beta_fast',
    'beta_slow',
    'original_max_position_embeddings',
    'truncate',
    'sequence_axis',
    'feature_axis',
    'denominator_dim',
  ]);
  const x = inputs[0];
  const rank = x.shape.length;
  const seqAxis = cfg.number('sequence_axis', 1);
  const featAxis = cfg.number('feature_axis', -1);
  if (
    (seqAxis < 0 ? seqAxis + rank : seqAxis) !== 1 ||
    (featAxis < 0 ? featAxis + rank : featAxis) !== rank - 1
  )
    unsupported(layer, `sequence_axis ${seqAxis} and feature_axis ${featAxis} (only 1 and -1)`);
  const ropeType = cfg.string('rope_type', 'linear');
  if (ropeType === 'yarn') unsupported(layer, 'rope_type "yarn"');
  const time = x.shape[1];
  const dim = x.shape[rank - 1];
  if (rank < 3 || time === null || dim === null) return unsupported(layer, `an input of shape [${x.shape}]`);
  if (dim % 2 !== 0) unsupported(layer, `an odd feature size ${dim}`);
  const denominator = cfg.optionalNumber('denominator_dim') ?? dim;
  const inv = inverseFrequencies(
    dim,
    cfg.number('max_wavelength', 10000),
    denominator,
    ropeType,
    cfg.number('scaling_factor', 1),
  );
  const cos = new Float32Array(time * dim);
  const sin = new Float32Array(time * dim);
  for (let p = 0; p < time; p += 1) {
    for (let k = 0; k < dim; k += 1) {
      const angle = f(p * inv[k % (dim / 2)]);
      cos[p * dim + k] = Math.cos(angle);
      sin[p * dim + k] = Math.sin(angle);
    }
  }
  const tableShape = [time, ...Array.from({ length: rank - 3 }, () => 1), dim];
  const half = dim / 2;
  const slice = (from: number, to: number) =>
    g.op('Slice', [
      x.name,
      g.constInt64('from', [from]),
      g.constInt64('to', [to]),
      g.constInt64('axis', [-1]),
    ]);
  const rotated = g.op('Concat', [g.op('Neg', [slice(half, dim)]), slice(0, half)], { axis: { i: -1 } });
  const y = g.op('Add', [
    g.op('Mul', [x.name, g.constFloat(`${layer.name}_cos`, tableShape, cos)]),
    g.op('Mul', [rotated, g.constFloat(`${layer.name}_sin`, tableShape, sin)]),
  ]);
  return { outputs: [{ name: y, shape: x.shape }], masks: [null] };
});
