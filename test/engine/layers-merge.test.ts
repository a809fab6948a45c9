import { describe, expect, it } from 'vitest';
import { at, build, expectTensor, random, run, singleLayerModel, type T } from './layer-harness.js';

async function merge(className: string, inputs: T[], config = {}, options = {}): Promise<T> {
  const shapes = inputs.map((t) => [null, ...t.dims.slice(1)]);
  const { outputs, shapes: inferred } = await run(
    singleLayerModel({ className, config }, shapes, options),
    inputs,
  );
  expect(inferred[0].slice(1)).toEqual(outputs[0].dims.slice(1));
  return outputs[0];
}

describe('merge layers', () => {
  const a = random([2, 3, 4], 61);
  const b = random([2, 3, 4], 62);
  const c = random([2, 3, 4], 63);
  const zip = (f: (...v: number[]) => number, ...ts: T[]) => ({
    dims: ts[0].dims,
    data: ts[0].data.map((_, i) => f(...ts.map((t) => t.data[i]))),
  });

  it('Add, Subtract, Multiply, Average, Maximum, Minimum', async () => {
    expectTensor(
      await merge('Add', [a, b, c]),
      zip((p, q, r) => p + q + r, a, b, c),
    );
    expectTensor(
      await merge('Subtract', [a, b]),
      zip((p, q) => p - q, a, b),
    );
    expectTensor(
      await merge('Multiply', [a, b, c]),
      zip((p, q, r) => p * q * r, a, b, c),
    );
    expectTensor(
      await merge('Average', [a, b, c]),
      zip((p, q, r) => (p + q + r) / 3, a, b, c),
    );
    expectTensor(await merge('Maximum', [a, b, c]), zip(Math.max, a, b, c));
    expectTensor(await merge('Minimum', [a, b]), zip(Math.min, a, b));
  });

  it('a lower-rank input gets its new axes right after the batch axis', async () => {
    const v = random([2, 4], 64);
    expectTensor(
      await merge('Add', [a, v]),
      build(a.dims, ([n, t, f]) => at(a, [n, t, f]) + at(v, [n, f])),
    );
    const row = random([2, 1, 4], 65);
    expectTensor(
      await merge('Multiply', [a, row]),
      build(a.dims, ([n, t, f]) => at(a, [n, t, f]) * at(row, [n, 0, f])),
    );
  });

  it('Subtract refuses three inputs', async () => {
    await expect(merge('Subtract', [a, b, c])).rejects.toThrow(/Subtract/);
  });

  it('Concatenate along the feature and time axes', async () => {
    const d = random([2, 3, 2], 66);
    expectTensor(
      await merge('Concatenate', [a, d], { axis: -1 }),
      build([2, 3, 6], ([n, t, f]) => (f < 4 ? at(a, [n, t, f]) : at(d, [n, t, f - 4]))),
    );
    expectTensor(
      await merge('Concatenate', [a, b], { axis: 1 }),
      build([2, 6, 4], ([n, t, f]) => (t < 3 ? at(a, [n, t, f]) : at(b, [n, t - 3, f]))),
    );
  });

  it('Dot follows batch_dot: remaining axes of x1 then x2, (batch, 1) for vectors', async () => {
    const p = random([2, 5], 67);
    const q = random([2, 5], 68);
    expectTensor(
      await merge('Dot', [p, q], { axes: 1 }),
      build([2, 1], ([n]) => [0, 1, 2, 3, 4].reduce((s, k) => s + at(p, [n, k]) * at(q, [n, k]), 0)),
    );
    const e = random([2, 3, 5], 69);
    expectTensor(
      await merge('Dot', [a, e], { axes: [1, 1] }),
      build([2, 4, 5], ([n, i, j]) => [0, 1, 2].reduce((s, k) => s + at(a, [n, k, i]) * at(e, [n, k, j]), 0)),
    );
  });

  it('Dot with normalize=True gives cosine similarity', async () => {
    const p = random([2, 5], 70);
    const q = random([2, 5], 71);
    const y = await merge('Dot', [p, q], { axes: -1, normalize: true });
    const ref = build([2, 1], ([n]) => {
      let dot = 0;
      let np = 0;
      let nq = 0;
      for (let k = 0; k < 5; k += 1) {
        dot += at(p, [n, k]) * at(q, [n, k]);
        np += at(p, [n, k]) ** 2;
        nq += at(q, [n, k]) ** 2;
      }
      return dot / Math.sqrt(np * nq);
    });
    expectTensor(y, ref);
  });
});
