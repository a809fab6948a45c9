import { describe, expect, it } from 'vitest';
import { compileToOnnx } from '../../src/engine/compile.js';
import { deconvLength, transposePads } from '../../src/engine/layers/conv-transpose.js';
import { onnx } from '../../src/engine/onnx/proto.js';
import {
  at,
  build,
  expectTensor,
  random,
  runLayer,
  singleLayerModel,
  type T,
  weight,
} from './layer-harness.js';

/** Naive depthwise conv, valid padding, stride s: output channel c * mult + m. */
function depthwiseRef(x: T, k: T, s: number): T {
  const [n, h, w, cin] = x.dims;
  const [kh, kw, , mult] = k.dims;
  const oh = Math.floor((h - kh) / s) + 1;
  const ow = Math.floor((w - kw) / s) + 1;
  return build([n, oh, ow, cin * mult], ([b, i, j, o]) => {
    const c = Math.floor(o / mult);
    const m = o % mult;
    let acc = 0;
    for (let u = 0; u < kh; u += 1)
      for (let v = 0; v < kw; v += 1) acc += at(x, [b, i * s + u, j * s + v, c]) * at(k, [u, v, c, m]);
    return acc;
  });
}

describe('depthwise and separable convolutions', () => {
  const x = random([2, 5, 6, 3], 21);
  const k = random([3, 2, 3, 2], 22);

  it('DepthwiseConv2D orders output channels c * mult + m and adds the bias', async () => {
    const bias = random([6], 23);
    const y = await runLayer(
      {
        className: 'DepthwiseConv2D',
        config: { kernel_size: [3, 2], strides: [2, 2], depth_multiplier: 2, padding: 'valid' },
        weights: [weight('dw', k), weight('b', bias)],
      },
      [x],
    );
    const ref = depthwiseRef(x, k, 2);
    expectTensor(y, { dims: ref.dims, data: ref.data.map((v, i) => v + bias.data[i % 6]) });
  });

  it('SeparableConv2D is depthwise then a 1x1 pointwise conv, then bias and activation', async () => {
    const pw = random([1, 1, 6, 4], 24);
    const bias = random([4], 25);
    const y = await runLayer(
      {
        className: 'SeparableConv2D',
        config: { filters: 4, kernel_size: [3, 2], depth_multiplier: 2, activation: 'relu' },
        weights: [weight('dw', k), weight('pw', pw), weight('b', bias)],
      },
      [x],
    );
    const d = depthwiseRef(x, k, 1);
    const [n, oh, ow] = d.dims;
    const ref = build([n, oh, ow, 4], ([b, i, j, f]) => {
      let acc = bias.data[f];
      for (let c = 0; c < 6; c += 1) acc += at(d, [b, i, j, c]) * at(pw, [0, 0, c, f]);
      return Math.max(acc, 0);
    });
    expectTensor(y, ref);
  });

  it('a depthwise kernel for the wrong channel count is refused', async () => {
    await expect(
      runLayer({ className: 'DepthwiseConv2D', config: {}, weights: [weight('dw', random([3, 3, 4, 1]))] }, [
        x,
      ]),
    ).rejects.toThrow(/DepthwiseConv2D/);
  });
});

/** Naive transposed conv (scatter) in 1D, cropped like TF for `padding`. */
function transposeRef1d(x: T, k: T, s: number, padding: 'valid' | 'same', op: number | null): T {
  const [n, len, cin] = x.dims;
  const [kl, cout] = k.dims;
  const full = (len - 1) * s + kl;
  const outLen = deconvLength(len, kl, s, padding, op);
  const before = padding === 'same' ? Math.floor(Math.max(full - outLen, 0) / 2) : 0;
  const acc = new Float64Array(n * full * cout);
  for (let b = 0; b < n; b += 1)
    for (let t = 0; t < len; t += 1)
      for (let u = 0; u < kl; u += 1)
        for (let o = 0; o < cout; o += 1)
          for (let i = 0; i < cin; i += 1)
            acc[(b * full + t * s + u) * cout + o] += at(x, [b, t, i]) * at(k, [u, o, i]);
  return build([n, outLen, cout], ([b, t, o]) => {
    const f = t + before;
    return f < full ? acc[(b * full + f) * cout + o] : 0;
  });
}

describe('transposed convolutions', () => {
  it('output length matches deconv_output_length', () => {
    expect(deconvLength(5, 3, 2, 'valid', null)).toBe(11);
    expect(deconvLength(5, 1, 3, 'valid', null)).toBe(15);
    expect(deconvLength(5, 3, 2, 'same', null)).toBe(10);
    expect(deconvLength(5, 3, 2, 'same', 1)).toBe(10);
    expect(transposePads(3, 2, 'same', null)).toEqual({ begin: 0, end: 1, extra: 0 });
    expect(transposePads(1, 3, 'valid', null)).toEqual({ begin: 0, end: 0, extra: 2 });
  });

  for (const [padding, s, kl, op] of [
    ['valid', 2, 3, null],
    ['same', 2, 3, null],
    ['same', 3, 4, null],
    ['valid', 3, 1, null],
    ['same', 2, 3, 1],
  ] as const) {
    it(`Conv1DTranspose ${padding} stride ${s} kernel ${kl} output_padding ${op}`, async () => {
      const x = random([2, 5, 3], 31);
      const k = random([kl, 2, 3], 32);
      const y = await runLayer(
        {
          className: 'Conv1DTranspose',
          config: { filters: 2, kernel_size: kl, strides: s, padding, output_padding: op, use_bias: false },
          weights: [weight('k', k)],
        },
        [x],
      );
      expectTensor(y, transposeRef1d(x, k, s, padding, op));
    });
  }

  it('Conv2DTranspose with bias equals the 1D reference on a height-1 image', async () => {
    const x = random([1, 1, 4, 3], 33);
    const k = random([1, 3, 2, 3], 34);
    const bias = Float32Array.from([0.5, -1]);
    const y = await runLayer(
      {
        className: 'Conv2DTranspose',
        config: { filters: 2, kernel_size: [1, 3], strides: [1, 2], padding: 'same' },
        weights: [weight('k', k), weight('b', { dims: [2], data: bias })],
      },
      [x],
    );
    const ref = transposeRef1d(
      { dims: [1, 4, 3], data: x.data },
      { dims: [3, 2, 3], data: k.data },
      2,
      'same',
      null,
    );
    expectTensor(y, { dims: [1, 1, 8, 2], data: ref.data.map((v, i) => v + bias[i % 2]) });
  });
});

/** Naive Conv2D on NHWC with TF padding (`same` puts the extra pixel at the end), stride and dilation. */
function conv2dRef(x: T, k: T, bias: T, s: number, d: number, padding: 'valid' | 'same'): T {
  const [n, h, w] = x.dims;
  const [kh, kw, cin, cout] = k.dims;
  const span = (kk: number) => (kk - 1) * d + 1;
  const out = (size: number, kk: number) =>
    padding === 'same' ? Math.ceil(size / s) : Math.floor((size - span(kk)) / s) + 1;
  const [oh, ow] = [out(h, kh), out(w, kw)];
  const before = (size: number, o: number, kk: number) =>
    padding === 'same' ? Math.floor(Math.max((o - 1) * s + span(kk) - size, 0) / 2) : 0;
  const [ph, pw] = [before(h, oh, kh), before(w, ow, kw)];
  return build([n, oh, ow, cout], ([b, i, j, o]) => {
    let acc = bias.data[o];
    for (let u = 0; u < kh; u += 1)
      for (let v = 0; v < kw; v += 1) {
        const [r, c] = [i * s + u * d - ph, j * s + v * d - pw];
        if (r < 0 || c < 0 || r >= h || c >= w) continue;
        for (let ci = 0; ci < cin; ci += 1) acc += at(x, [b, r, c, ci]) * at(k, [u, v, ci, o]);
      }
    return acc;
  });
}

describe('convolutions on maps so small that every output sees every input', () => {
  // [input h, w; kernel h, w; stride; dilation; padding; one matrix product?]
  const cases = [
    [2, 2, 3, 3, 1, 1, 'same', true], // ResNet50's last stage at 64² input
    [1, 1, 3, 3, 1, 1, 'same', true],
    [2, 2, 3, 3, 2, 1, 'same', true],
    [2, 3, 3, 3, 2, 1, 'same', false], // the first output misses the last column
    [3, 3, 3, 3, 1, 1, 'valid', true], // a kernel spanning its whole input
    [4, 4, 3, 3, 1, 1, 'same', false], // corners do not see each other
    [2, 2, 3, 3, 1, 2, 'same', false], // dilated: some pairs fall between taps
    [4, 4, 1, 1, 2, 1, 'valid', false],
  ] as const;
  for (const [h, w, kh, kw, s, d, padding, dense] of cases) {
    it(`Conv2D ${kh}×${kw} ${padding} stride ${s} dilation ${d} on ${h}×${w} ${dense ? 'is one Gemm' : 'stays a Conv'} with the same numbers`, async () => {
      const x = random([3, h, w, 5], 41);
      const k = random([kh, kw, 5, 4], 42);
      const bias = random([4], 43);
      const layer = {
        className: 'Conv2D',
        config: { filters: 4, kernel_size: [kh, kw], strides: s, dilation_rate: d, padding },
        weights: [weight('k', k), weight('b', bias)],
      };
      expectTensor(await runLayer(layer, [x]), conv2dRef(x, k, bias, s, d, padding));
      const compiled = compileToOnnx(singleLayerModel(layer, [[null, h, w, 5]]));
      const ops = onnx.ModelProto.decode(compiled.bytes).graph?.node?.map((n) => n.opType) ?? [];
      expect(ops.includes('Gemm')).toBe(dense);
      expect(ops.includes('Conv')).toBe(!dense);
    });
  }
});
