/**
 * `tf.image.resize(images, size, method, antialias=False)` as Keras calls it, for images of static size:
 * each method is separable, so it is computed per axis as TF's kernels do (float32 steps emulated with
 * `Math.fround`) and applied as two matrix products (nearest: two gathers, exact).
 *
 * - bilinear: ResizeBilinear(half_pixel_centers=True) (tensorflow/core/kernels/image/resize_bilinear_op.cc)
 * - nearest: ResizeNearestNeighbor(half_pixel_centers=True) (resize_nearest_neighbor_op.cc)
 * - bicubic: ResizeBicubic(half_pixel_centers=True): Keys cubic a=-0.5 from a 1024-entry table, taps outside
 *   the image dropped and the weights renormalized (resize_bicubic_op.cc)
 * - area: ResizeArea(align_corners=False) (resize_area_op.cc)
 * - lanczos3/lanczos5/gaussian/mitchellcubic, and bilinear/bicubic with antialias: ScaleAndTranslate
 *   (preprocessing-kernels.ts)
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { scaleAndTranslateKernel, scaleAndTranslateWeights } from './preprocessing-kernels.js';
import type { Sym } from './registry.js';

export type ResizeMethod = 'bilinear' | 'nearest' | 'bicubic' | 'area';

/** Methods of `tf.image.resize` that Keras 3 (the first six) and tf.keras Resizing accept. */
export const RESIZE_METHODS: readonly string[] = [
  'bilinear',
  'nearest',
  'bicubic',
  'area',
  'lanczos3',
  'lanczos5',
  'gaussian',
  'mitchellcubic',
];

const f = Math.fround;

/** TF's `CalculateResizeScale` without align_corners: `in / (float)out` in float32. */
const resizeScale = (inSize: number, outSize: number): number => f(inSize / outSize);

/** Source index of each output position for nearest-neighbour (HalfPixelScalerForNN). */
export function nearestIndices(inSize: number, outSize: number): number[] {
  const scale = resizeScale(inSize, outSize);
  return Array.from({ length: outSize }, (_, i) =>
    Math.max(0, Math.min(Math.floor(f(f(i + 0.5) * scale)), inSize - 1)),
  );
}

const TABLE_SIZE = 1024;
let cubicTable: Float32Array | null = null;

/** TF's `InitCoeffsTable(-0.5)`: float x from a double, coefficients computed in double, stored as float. */
function keysCubicTable(): Float32Array {
  if (cubicTable) return cubicTable;
  const a = -0.5;
  const t = new Float32Array((TABLE_SIZE + 1) * 2);
  for (let i = 0; i <= TABLE_SIZE; i += 1) {
    let x = f((i * 1.0) / TABLE_SIZE);
    t[i * 2] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = f(x + 1.0);
    t[i * 2 + 1] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  }
  cubicTable = t;
  return t;
}

/** The `[outSize, inSize]` weight matrix of one axis (row-major), for bilinear, bicubic or area. */
export function resizeWeights(method: Exclude<ResizeMethod, 'nearest'>, inSize: number, outSize: number) {
  const w = new Float64Array(outSize * inSize);
  const scale = resizeScale(inSize, outSize);
  const add = (o: number, i: number, v: number) => {
    w[o * inSize + i] += v;
  };
  for (let o = 0; o < outSize; o += 1) {
    if (method === 'bilinear') {
      const pos = f(f(f(o + 0.5) * scale) - 0.5);
      const lowF = Math.floor(pos);
      const lerp = f(pos - lowF);
      add(o, Math.max(lowF, 0), f(1 - lerp));
      add(o, Math.min(Math.ceil(pos), inSize - 1), lerp);
    } else if (method === 'bicubic') {
      const table = keysCubicTable();
      const pos = f(f(f(o + 0.5) * scale) - 0.5);
      const loc = Math.floor(pos);
      const delta = f(pos - loc);
      const offset = rint(f(delta * TABLE_SIZE));
      const coeffs = [
        table[offset * 2 + 1],
        table[offset * 2],
        table[(TABLE_SIZE - offset) * 2],
        table[(TABLE_SIZE - offset) * 2 + 1],
      ];
      const taps = [loc - 1, loc, loc + 1, loc + 2];
      const weights = taps.map((idx, k) => (idx >= 0 && idx < inSize ? coeffs[k] : 0));
      const sum = f(f(f(weights[0] + weights[1]) + weights[2]) + weights[3]);
      const inv = Math.abs(sum) >= 1000 * 1.1754943508222875e-38 ? f(1 / sum) : 1;
      taps.forEach((idx, k) => {
        if (weights[k] !== 0) add(o, idx, f(weights[k] * inv));
      });
    } else {
      const from = f(o * scale);
      const to = f((o + 1) * scale);
      for (let i = Math.floor(from); i < Math.ceil(to); i += 1) {
        let part: number;
        if (i < from) part = Math.min(f(i + 1 - from), f(to - from));
        else if (i + 1 > to) part = f(to - i);
        else part = 1;
        add(o, Math.min(Math.max(i, 0), inSize - 1), part);
      }
    }
  }
  return w;
}

/** C's `lrintf` in the default rounding mode: to nearest, ties to even. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function transposeTo(w: Float64Array, rows: number, cols: number, factor: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r += 1)
    for (let c = 0; c < cols; c += 1) t[c * rows + r] = w[r * cols + c] * factor;
  return t;
}

/**
 * Resizes a channels-last `[N, H, W, C]` tensor of static H and W to `[N, outH, outW, C]`. Returns the
 * output symbol.
 */
export function resizeNhwc(
  g: GraphBuilder,
  x: Sym,
  outH: number,
  outW: number,
  method: string,
  base: string,
  antialias = false,
): Sym {
  const [n, inH, inW, c] = x.shape as [null, number, number, number | null];
  const shape = [n, outH, outW, c];
  if (method === 'nearest') {
    const rows = g.op('Gather', [x.name, g.constInt64(`${base}_rows`, nearestIndices(inH, outH))], {
      axis: { i: 1 },
    });
    const cols = g.op('Gather', [rows, g.constInt64(`${base}_cols`, nearestIndices(inW, outW))], {
      axis: { i: 2 },
    });
    return { name: cols, shape };
  }
  const kernel = scaleAndTranslateKernel(method, antialias);
  // ResizeArea multiplies the patch sum by 1 / (height_scale * width_scale), in float32
  const factor = method === 'area' ? f(1 / f(resizeScale(inH, outH) * resizeScale(inW, outW))) : 1;
  const axisWeights = (inSize: number, outSize: number) =>
    kernel
      ? scaleAndTranslateWeights(kernel, inSize, outSize, antialias)
      : resizeWeights(method as Exclude<ResizeMethod, 'nearest'>, inSize, outSize);
  const wh = axisWeights(inH, outH);
  const ww = axisWeights(inW, outW);
  const whC = g.constFloat(
    `${base}_wh`,
    [outH, inH],
    Float32Array.from(wh, (v) => v * factor),
  );
  const wwT = g.constFloat(`${base}_ww`, [inW, outW], transposeTo(ww, outW, inW, 1));
  const nchw = g.op('Transpose', [x.name], { perm: { ints: [0, 3, 1, 2] } });
  const rows = g.op('MatMul', [whC, nchw]);
  const both = g.op('MatMul', [rows, wwT]);
  return { name: g.op('Transpose', [both], { perm: { ints: [0, 2, 3, 1] } }), shape };
}
