import { expect } from 'vitest';
import { compileToOnnx } from '../../src/engine/compile.js';
import ort from '../../src/engine/ort.js';
import type { LayerConfig, ModelDescription, Shape, WeightTensor } from '../../src/keras/model.js';

/** A plain tensor for the layer tests: row-major data and concrete dims (batch first). */
export interface T {
  dims: number[];
  data: Float32Array;
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), so failures reproduce. */
export function random(dims: number[], seed = 1): T {
  let a = seed >>> 0;
  const n = dims.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return { dims, data };
}

export function weight(name: string, t: T): WeightTensor {
  return { name, shape: t.dims, data: t.data };
}

/** Row-major strides of `dims`. */
export function strides(dims: number[]): number[] {
  const s = Array(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i -= 1) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** Reads `t` at a multi-index. */
export function at(t: T, idx: number[]): number {
  const s = strides(t.dims);
  return t.data[idx.reduce((acc, v, i) => acc + v * s[i], 0)];
}

/** Builds a tensor of `dims` whose value at each multi-index is `f(index)`. */
export function build(dims: number[], f: (idx: number[]) => number): T {
  const n = dims.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  const idx = Array(dims.length).fill(0);
  for (let k = 0; k < n; k += 1) {
    data[k] = f(idx);
    for (let d = dims.length - 1; d >= 0; d -= 1) {
      idx[d] += 1;
      if (idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return { dims, data };
}

export interface LayerUnderTest {
  className: string;
  config?: LayerConfig;
  weights?: WeightTensor[];
}

/**
 * A model of one layer applied to `inputShapes.length` inputs, optionally behind a Masking layer on input 0
 * (to exercise mask handling).
 */
export function singleLayerModel(
  layer: LayerUnderTest,
  inputShapes: Shape[],
  options: { kerasMajor?: 1 | 2 | 3; kerasVersion?: string; maskInput0?: boolean } = {},
): ModelDescription {
  const inputs = inputShapes.map((shape, i) => ({ name: `in${i}`, shape, dtype: 'float32' }));
  const refs = inputs.map((input) => ({ layer: input.name, nodeIndex: 0, tensorIndex: 0 }));
  const layers: ModelDescription['layers'] = inputs.map((input) => ({
    name: input.name,
    className: 'InputLayer',
    config: {},
    inbound: [],
    weights: [],
  }));
  if (options.maskInput0) {
    layers.push({
      name: 'masking',
      className: 'Masking',
      config: { mask_value: 0 },
      inbound: [{ inputs: [refs[0]], kwargs: {} }],
      weights: [],
    });
    refs[0] = { layer: 'masking', nodeIndex: 0, tensorIndex: 0 };
  }
  layers.push({
    name: 'under_test',
    className: layer.className,
    config: layer.config ?? {},
    inbound: [{ inputs: refs, kwargs: {} }],
    weights: layer.weights ?? [],
  });
  return {
    name: 'layer_test',
    format: 'keras3-zip',
    kerasVersion: options.kerasVersion ?? (options.kerasMajor === 2 ? '2.15.0' : '3.5.0'),
    kerasMajor: options.kerasMajor ?? 3,
    backend: 'tensorflow',
    modelClass: 'Functional',
    layers,
    inputs,
    outputs: [{ name: 'under_test', ref: { layer: 'under_test', nodeIndex: 0, tensorIndex: 0 } }],
  };
}

/** Compiles and runs a model; returns its outputs and the Keras shapes the compiler inferred. */
export async function run(model: ModelDescription, inputs: T[]): Promise<{ outputs: T[]; shapes: Shape[] }> {
  const compiled = compileToOnnx(model);
  const session = await ort.InferenceSession.create(compiled.bytes, { intraOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    inputs.forEach((t, i) => {
      feeds[compiled.inputNames[i]] = new ort.Tensor('float32', t.data, t.dims);
    });
    const result = await session.run(feeds);
    const outputs = compiled.outputNames.map((name) => ({
      dims: result[name].dims.map(Number),
      data: result[name].data as Float32Array,
    }));
    return { outputs, shapes: compiled.outputShapes };
  } finally {
    await session.release();
  }
}

/**
 * Runs one layer on concrete inputs (input shapes: batch open, the rest as given) and returns output 0,
 * checking that the inferred Keras shape agrees with the computed dims.
 */
export async function runLayer(
  layer: LayerUnderTest,
  inputs: T[],
  options: { kerasMajor?: 1 | 2 | 3; kerasVersion?: string; maskInput0?: boolean; openDims?: boolean } = {},
): Promise<T> {
  const shapes: Shape[] = inputs.map((t) => [
    null,
    ...t.dims.slice(1).map((d) => (options.openDims ? null : d)),
  ]);
  const { outputs, shapes: inferred } = await run(singleLayerModel(layer, shapes, options), inputs);
  const y = outputs[0];
  inferred[0].forEach((d, i) => {
    if (d !== null) expect(d, `inferred Keras shape [${inferred[0]}] vs dims [${y.dims}]`).toBe(y.dims[i]);
  });
  if (!options.openDims) expect(inferred[0].slice(1)).toEqual(y.dims.slice(1));
  return y;
}

/** Asserts dims equal and values within `tol` relative to max |expected|. */
export function expectTensor(actual: T, expected: T, tol = 1e-5): void {
  expect(actual.dims).toEqual(expected.dims);
  let maxAbs = 1e-12;
  let maxDiff = 0;
  for (let i = 0; i < expected.data.length; i += 1) {
    maxAbs = Math.max(maxAbs, Math.abs(expected.data[i]));
    maxDiff = Math.max(maxDiff, Math.abs(actual.data[i] - expected.data[i]));
  }
  expect(maxDiff / maxAbs).toBeLessThanOrEqual(tol);
}
