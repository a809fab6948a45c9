/**
 * Keras' `encode_categorical_inputs` on the host, for the indices a host layer computed (a lookup's or a hash
 * bucket): `int` as they are, `one_hot` (a last axis of 1 replaced by `depth`), and the per-record bincounts
 * `multi_hot`/`count`/`tf_idf` of `[batch, n]` indices (the TF bincount fast path). Indices outside
 * `[0, depth)` count nowhere; a NaN index (where Keras raises) makes its whole record NaN.
 */
import type { LayerSpec, Shape } from '../../keras/model.js';
import { unsupported } from '../layers/config.js';
import type { Tensor } from '../types.js';

export type Mode = 'int' | 'one_hot' | 'multi_hot' | 'count' | 'tf_idf';

export interface Encoding {
  readonly mode: Mode;
  /** Width of the encoded output (`one_hot`, `multi_hot`, `count`, `tf_idf`). */
  readonly depth: number;
  /** Bincount of one record's indices into `out` at `offset` (multi_hot, count, tf_idf). */
  encodeRow(indices: number[], out: Float32Array, offset: number): void;
}

/** `multi_hot`/`count` of one record; all NaN when an index is NaN. */
export function bincountRow(
  mode: Mode,
  depth: number,
  indices: number[],
  out: Float32Array,
  offset: number,
): void {
  let bad = false;
  for (const i of indices) {
    if (Number.isNaN(i)) bad = true;
    else if (i >= 0 && i < depth) {
      if (mode === 'multi_hot') out[offset + i] = 1;
      else out[offset + i] += 1;
    }
  }
  if (bad) out.fill(Number.NaN, offset, offset + depth);
}

/** Output of the encoding on `[batch, ...]` indices. */
export function encodeIndices(enc: Encoding, indices: Float32Array, dims: number[]): Tensor {
  const batch = dims[0];
  const perRecord = indices.length / Math.max(batch, 1);
  if (enc.mode === 'int') {
    // NaN (where Keras raises) spreads to the whole record
    for (let r = 0; r < batch; r += 1) {
      const row = indices.subarray(r * perRecord, (r + 1) * perRecord);
      if (row.some(Number.isNaN)) row.fill(Number.NaN);
    }
    return { data: indices, dims };
  }
  const depth = enc.depth;
  if (enc.mode === 'one_hot') {
    const outDims = dims.length > 1 && dims[dims.length - 1] === 1 ? dims.slice(0, -1) : dims;
    const data = new Float32Array(indices.length * depth);
    indices.forEach((i, k) => {
      if (i >= 0 && i < depth) data[k * depth + i] = 1;
    });
    for (let r = 0; r < batch; r += 1) {
      const row = indices.subarray(r * perRecord, (r + 1) * perRecord);
      if (row.some(Number.isNaN)) data.fill(Number.NaN, r * perRecord * depth, (r + 1) * perRecord * depth);
    }
    return { data, dims: [...outDims, depth] };
  }
  const data = new Float32Array(batch * depth);
  for (let r = 0; r < batch; r += 1) {
    enc.encodeRow(Array.from(indices.subarray(r * perRecord, (r + 1) * perRecord)), data, r * depth);
  }
  return { data, dims: [batch, depth] };
}

/** The encoded output shape for an input shape; bincounts only of `[batch, n]`. */
export function encodedShape(enc: Encoding, input: Shape, layer: LayerSpec): Shape {
  if (enc.mode === 'int') return input;
  if (enc.mode === 'one_hot') {
    const base = input.length > 1 && input[input.length - 1] === 1 ? input.slice(0, -1) : input;
    return [...base, enc.depth];
  }
  if (input.length !== 2)
    unsupported(layer, `output_mode "${enc.mode}" on an input of rank ${input.length} (only [batch, n])`);
  return [input[0], enc.depth];
}
