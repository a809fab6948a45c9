/** A nested JSON array or a number. */
export type Nested = number | Nested[];

/** Rebuilds nested arrays from a flat row-major slice. */
export function nest(data: ArrayLike<number>, offset: number, dims: number[]): Nested {
  if (dims.length === 0) return data[offset];
  const [n, ...rest] = dims;
  const stride = rest.reduce((a, b) => a * b, 1);
  const out: Nested[] = new Array(n);
  for (let i = 0; i < n; i += 1) out[i] = nest(data, offset + i * stride, rest);
  return out;
}

/** A nested JSON array, a number, or null (a class that cannot be told: see {@link predictClasses}). */
export type NestedClasses = number | null | NestedClasses[];

/**
 * Keras 2 `Sequential.predict_classes` for one record: argmax over the last axis when it is longer than 1
 * (ties go to the first), else `p > 0.5` as 0/1 — so a single sigmoid unit gives `[1]` and a softmax a bare int.
 * A class computed from a NaN or ±Infinity value (whose prediction is written as `null`) is `null` too: numpy
 * would answer the first NaN's index, or 0 for `NaN > 0.5`, a class that says nothing about the record.
 */
export function predictClasses(data: ArrayLike<number>, offset: number, dims: number[]): NestedClasses {
  const last = dims.length === 0 ? 1 : dims[dims.length - 1];
  const size = dims.reduce((a, b) => a * b, 1);
  if (last > 1) {
    const rows = size / last;
    const classes = new Array<number | null>(rows);
    for (let r = 0; r < rows; r += 1) {
      let best: number | null = 0;
      let bestValue = data[offset + r * last];
      for (let j = 0; j < last; j += 1) {
        const v = data[offset + r * last + j];
        if (!Number.isFinite(v)) {
          best = null;
          break;
        }
        if (v > bestValue) {
          bestValue = v;
          best = j;
        }
      }
      classes[r] = best;
    }
    return dims.length <= 1 ? classes[0] : nestClasses(classes, 0, dims.slice(0, -1));
  }
  const flags = new Array<number | null>(size);
  for (let i = 0; i < size; i += 1) {
    const v = data[offset + i];
    flags[i] = Number.isFinite(v) ? (v > 0.5 ? 1 : 0) : null;
  }
  return dims.length === 0 ? flags[0] : nestClasses(flags, 0, dims);
}

function nestClasses(data: (number | null)[], offset: number, dims: number[]): NestedClasses {
  if (dims.length === 0) return data[offset];
  const [n, ...rest] = dims;
  const stride = rest.reduce((a, b) => a * b, 1);
  const out: NestedClasses[] = new Array(n);
  for (let i = 0; i < n; i += 1) out[i] = nestClasses(data, offset + i * stride, rest);
  return out;
}
