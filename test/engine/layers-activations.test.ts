import { describe, expect, it } from 'vitest';
import { build, expectTensor, random, runLayer, weight } from './layer-harness.js';

const x = random([2, 4, 3], 7);
const map = (f: (v: number) => number) => ({ dims: x.dims, data: x.data.map(f) });

describe('activation layers', () => {
  it('ReLU follows Keras: clip(x * (x > t), 0, max) - slope * relu(t - x)', async () => {
    const config = { max_value: 0.5, negative_slope: 0.25, threshold: 0.1 };
    const ref = (v: number) => Math.min(Math.max(v > 0.1 ? v : 0, 0), 0.5) - 0.25 * Math.max(0.1 - v, 0);
    expectTensor(await runLayer({ className: 'ReLU', config }, [x]), map(ref));
    expectTensor(
      await runLayer({ className: 'ReLU', config: { max_value: 6 } }, [x]),
      map((v) => Math.max(v, 0)),
    );
  });

  it('LeakyReLU reads alpha (Keras 2) and negative_slope (Keras 3)', async () => {
    const leaky = (s: number) => map((v) => (v >= 0 ? v : s * v));
    expectTensor(await runLayer({ className: 'LeakyReLU', config: { alpha: 0.1 } }, [x]), leaky(0.1));
    expectTensor(
      await runLayer({ className: 'LeakyReLU', config: { negative_slope: 0.2 } }, [x]),
      leaky(0.2),
    );
    expectTensor(await runLayer({ className: 'LeakyReLU', config: {} }, [x]), leaky(0.3));
  });

  it('PReLU broadcasts alpha over shared axes', async () => {
    const alpha = random([1, 3], 3);
    const y = await runLayer(
      { className: 'PReLU', config: { shared_axes: [1] }, weights: [weight('alpha', alpha)] },
      [x],
    );
    expectTensor(
      y,
      build(x.dims, ([b, t, c]) => {
        const v = x.data[(b * 4 + t) * 3 + c];
        return v >= 0 ? v : alpha.data[c] * v;
      }),
    );
  });

  it('ELU and ThresholdedReLU', async () => {
    expectTensor(
      await runLayer({ className: 'ELU', config: { alpha: 0.5 } }, [x]),
      map((v) => (v > 0 ? v : 0.5 * Math.expm1(v))),
    );
    expectTensor(
      await runLayer({ className: 'ThresholdedReLU', config: { theta: 0.2 } }, [x]),
      map((v) => (v > 0.2 ? v : 0)),
    );
  });

  it('Softmax over several axes normalizes each batch item jointly', async () => {
    const y = await runLayer({ className: 'Softmax', config: { axis: [1, 2] } }, [x]);
    for (let b = 0; b < 2; b += 1) {
      const slice = Array.from(x.data.slice(b * 12, b * 12 + 12));
      const sum = slice.reduce((a, v) => a + Math.exp(v), 0);
      slice.forEach((v, i) => {
        expect(y.data[b * 12 + i]).toBeCloseTo(Math.exp(v) / sum, 6);
      });
    }
  });

  it('Softmax on the batch axis is refused', async () => {
    await expect(runLayer({ className: 'Softmax', config: { axis: 0 } }, [x])).rejects.toThrow(
      /Softmax.*axis/,
    );
  });
});
