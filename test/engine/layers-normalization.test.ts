import { describe, expect, it } from 'vitest';
import { at, build, expectTensor, random, runLayer, weight } from './layer-harness.js';

describe('normalization layers', () => {
  const x = random([2, 3, 4], 51);

  it('BatchNormalization on axis 1 uses (x - mean) / sqrt(var + eps) * gamma + beta', async () => {
    const gamma = random([3], 52);
    const beta = random([3], 53);
    const mean = random([3], 54);
    const variance = { dims: [3], data: random([3], 55).data.map((v) => Math.abs(v) + 0.1) };
    const y = await runLayer(
      {
        className: 'BatchNormalization',
        config: { axis: 1, epsilon: 0.01 },
        weights: [weight('g', gamma), weight('b', beta), weight('m', mean), weight('v', variance)],
      },
      [x],
    );
    expectTensor(
      y,
      build(x.dims, ([b, c, f]) => {
        const v = at(x, [b, c, f]);
        return ((v - mean.data[c]) / Math.sqrt(variance.data[c] + 0.01)) * gamma.data[c] + beta.data[c];
      }),
    );
  });

  it('BatchNormalization without scale/center reads [mean, variance] only', async () => {
    const mean = random([4], 56);
    const variance = { dims: [4], data: Float32Array.from([1, 2, 3, 4]) };
    const y = await runLayer(
      {
        className: 'BatchNormalization',
        config: { scale: false, center: false, epsilon: 0 },
        weights: [weight('m', mean), weight('v', variance)],
      },
      [x],
    );
    expectTensor(
      y,
      build(x.dims, ([b, c, f]) => (at(x, [b, c, f]) - mean.data[f]) / Math.sqrt(f + 1)),
    );
  });

  for (const axis of [-1, [1, 2], 1]) {
    it(`LayerNormalization over axis ${JSON.stringify(axis)}`, async () => {
      const axes = axis === -1 ? [2] : Array.isArray(axis) ? axis : [axis];
      const size = axes.reduce((a, ax) => a * x.dims[ax], 1);
      const gamma = random([size], 57);
      const beta = random([size], 58);
      const y = await runLayer(
        {
          className: 'LayerNormalization',
          config: { axis, epsilon: 1e-3 },
          weights: [weight('g', gamma), weight('b', beta)],
        },
        [x],
      );
      expectTensor(
        y,
        build(x.dims, (idx) => {
          // the members of idx's group: vary the normalized axes, keep the others
          const vals: number[] = [];
          const group = build(
            axes.map((a) => x.dims[a]),
            (sub) => {
              const full = [...idx];
              axes.forEach((a, i) => {
                full[a] = sub[i];
              });
              vals.push(at(x, full));
              return 0;
            },
          );
          expect(group.data.length).toBe(size);
          const m = vals.reduce((a, v) => a + v, 0) / size;
          const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / size;
          const p = axes.reduce((acc, a) => acc * x.dims[a] + idx[a], 0);
          return ((at(x, idx) - m) / Math.sqrt(v + 1e-3)) * gamma.data[p] + beta.data[p];
        }),
      );
    });
  }

  it('UnitNormalization divides by the L2 norm', async () => {
    const y = await runLayer({ className: 'UnitNormalization', config: { axis: -1 } }, [x]);
    expectTensor(
      y,
      build(x.dims, ([b, c, f]) => {
        let s = 0;
        for (let k = 0; k < 4; k += 1) s += at(x, [b, c, k]) ** 2;
        return at(x, [b, c, f]) / Math.sqrt(s);
      }),
    );
  });

  it('Keras 1 BatchNormalization modes other than 0 are refused', async () => {
    const w = weight('w', random([4]));
    await expect(
      runLayer({ className: 'BatchNormalization', config: { mode: 2 }, weights: [w, w, w, w] }, [x]),
    ).rejects.toThrow(/mode 2/);
  });
});
