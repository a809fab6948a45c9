import { expect } from 'vitest';
import type { Tensor } from '../../src/engine/types.js';

export interface GoldenTensor {
  dims: number[];
  data: number[];
}

/** Max |a - b| divided by max |b|: the tolerance measure the issues use ("relative to max |output|"). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i += 1) {
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
  }
  return maxDiff / Math.max(maxAbs, 1e-12);
}

export function expectClose(actual: Tensor, expected: GoldenTensor, tolerance: number, label: string): void {
  expect(actual.dims, `${label}: dims`).toEqual(expected.dims);
  const err = relativeError(actual.data, expected.data);
  expect(
    err,
    `${label}: relative error ${err.toExponential(2)} over tolerance ${tolerance}`,
  ).toBeLessThanOrEqual(tolerance);
}
