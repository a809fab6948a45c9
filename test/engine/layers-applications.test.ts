import { describe, expect, it } from 'vitest';
import { compileToOnnx } from '../../src/engine/compile.js';
import { build, expectTensor, random, runLayer, singleLayerModel, weight } from './layer-harness.js';

describe('engine: keras.applications layer classes', () => {
  it('LayerScale is x * gamma on the last axis', async () => {
    const x = random([2, 3, 4], 3);
    const gamma = random([4], 4);
    const y = await runLayer(
      {
        className: 'applications.LayerScale',
        config: { init_values: 1e-6, projection_dim: 4 },
        weights: [weight('gamma', gamma)],
      },
      [x],
    );
    expectTensor(
      y,
      build([2, 3, 4], ([b, t, c]) => x.data[(b * 3 + t) * 4 + c] * gamma.data[c]),
    );
  });

  it('CustomScaleLayer is x + r * scale', async () => {
    const [x, r] = [random([2, 5], 1), random([2, 5], 2)];
    const y = await runLayer({ className: 'applications.CustomScaleLayer', config: { scale: 0.17 } }, [x, r]);
    expectTensor(
      y,
      build([2, 5], ([b, c]) => x.data[b * 5 + c] + r.data[b * 5 + c] * 0.17),
    );
  });

  it('StochasticDepth is the identity, and a call stored with training=True is refused', async () => {
    const x = random([2, 5], 5);
    const layer = { className: 'applications.StochasticDepth', config: { drop_path_rate: 0.1 } };
    expectTensor(await runLayer(layer, [x]), x);
    const model = singleLayerModel(layer, [[null, 5]]);
    model.layers[1].inbound[0].kwargs = { training: true };
    expect(() => compileToOnnx(model)).toThrow(/training=true is not supported/);
    model.layers[1].inbound[0].kwargs = { training: false };
    expect(() => compileToOnnx(model)).not.toThrow();
  });

  it('refuses a masked input (none of them handles masks)', () => {
    const model = singleLayerModel(
      { className: 'applications.StochasticDepth', config: { drop_path_rate: 0 } },
      [[null, 3, 5]],
      { maskInput0: true },
    );
    expect(() => compileToOnnx(model)).toThrow(/a masked input is not supported/);
  });
});
