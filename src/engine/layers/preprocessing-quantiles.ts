/**
 * tf.keras' adapted Discretization keeps a quantile summary `[2, n]` (bins, weights) as its weight and derives
 * the boundaries when loaded: `compress_summary(summary, 1 / num_bins)[0, :-1]`
 * (tf_keras/src/layers/preprocessing/discretization.py `_compress_summary_numpy`, numpy float32/float64 steps).
 */

const f = Math.fround;

/** `np.interp(x, xp, fp)` (numpy/core/src/multiarray/compiled_base.c). */
function interp(x: number, xp: number[], fp: number[]): number {
  const last = xp.length - 1;
  if (x < xp[0]) return fp[0];
  if (x > xp[last]) return fp[last];
  if (x === xp[last]) return fp[last];
  let j = 0;
  while (j < last && xp[j + 1] <= x) j += 1;
  if (j === last || xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let y = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(y)) {
    y = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(y) && fp[j] === fp[j + 1]) y = fp[j];
  }
  return y;
}

/** The bin boundaries of an adapted tf.keras Discretization from its `[2, n]` float32 summary. */
export function summaryBoundaries(summary: Float32Array, n: number, numBins: number): number[] {
  const bins = Array.from(summary.subarray(0, n));
  const weights = Array.from(summary.subarray(n, 2 * n));
  const epsilon = 1.0 / numBins;
  if (n * epsilon < 1) return bins.slice(0, -1);
  const count = Math.ceil((1.0 - 0.0) / epsilon);
  const percents = Array.from({ length: count }, (_, i) => epsilon + i * epsilon);
  const cum: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc = f(acc + w);
    cum.push(acc);
  }
  const cumPercents = cum.map((c) => f(c / cum[cum.length - 1]));
  return percents.map((p) => f(interp(p, cumPercents, bins))).slice(0, -1);
}
