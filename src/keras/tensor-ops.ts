/** Small row-major float32 array operations used to convert Keras 1 weight layouts. */
import type { WeightTensor } from './model.js';

/** Transpose a row-major tensor: output axis `i` is input axis `perm[i]` (numpy `transpose`). */
export function transpose(w: WeightTensor, perm: number[]): WeightTensor {
  const rank = w.shape.length;
  const outShape = perm.map((p) => w.shape[p]);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * w.shape[i + 1];
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(w.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += idx[a] * strides[a];
    out[o] = w.data[src];
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return { name: w.name, shape: outShape, data: out };
}

/** Reverse every axis except the last two (Keras' `convert_kernel`, Theano ↔ TensorFlow kernels). */
export function flipSpatial(w: WeightTensor): WeightTensor {
  const rank = w.shape.length;
  const flip = rank - 2;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * w.shape[i + 1];
  const out = new Float32Array(w.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += (a < flip ? w.shape[a] - 1 - idx[a] : idx[a]) * strides[a];
    out[o] = w.data[src];
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < w.shape[a]) break;
      idx[a] = 0;
    }
  }
  return { name: w.name, shape: [...w.shape], data: out };
}

/** Concatenate tensors of equal leading shape along their last axis. */
export function concatLastAxis(parts: WeightTensor[], name: string): WeightTensor {
  const lead = parts[0].shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const widths = parts.map((p) => p.shape[p.shape.length - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let off = r * total;
    parts.forEach((p, i) => {
      out.set(p.data.subarray(r * widths[i], (r + 1) * widths[i]), off);
      off += widths[i];
    });
  }
  return { name, shape: [...lead, total], data: out };
}

/** Number of elements of a shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
