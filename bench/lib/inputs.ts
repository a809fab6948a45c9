/** Deterministic random inputs: every runner in a run scores the very same records. */

import type { Shape } from '../../src/keras/model.js';

/** Seed of the records (the Keras baseline uses it for numpy's generator). */
export const SEED = 20240611;

/** mulberry32: small, fast, good enough for benchmark inputs. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Concrete dims of `shape` for `batch` records; open non-batch axes get `openAxis`. */
export function concreteDims(shape: Shape, batch: number, openAxis = 8): number[] {
  return shape.map((d, i) => (i === 0 ? batch : (d ?? openAxis)));
}

/** `batch` records of uniform [0, 1) values for an input of `shape`, the same for the same seed. */
export function randomInput(
  shape: Shape,
  batch: number,
  seed = SEED,
): { data: Float32Array; dims: number[] } {
  const dims = concreteDims(shape, batch);
  const size = dims.reduce((a, b) => a * b, 1);
  const next = mulberry32(seed);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = next();
  return { data, dims };
}

/** Largest absolute difference of two equally long arrays (Infinity when lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return max;
}
