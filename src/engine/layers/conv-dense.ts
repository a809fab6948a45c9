import type { GraphBuilder } from '../onnx/graph-builder.js';
import { explicitPads, outputSize, type Padding } from './layout.js';
import type { Sym } from './registry.js';

/** What of a convolution's geometry the dense form reads (`ConvGeometry` of `./convolution.ts` has it). */
interface Geometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padding: Padding;
}

/** A dense form may hold at most this many times the kernel's weights (it holds 16/9 for a 3×3 on 2×2). */
const MAX_WEIGHT_GROWTH = 4;

/**
 * A convolution in which every output position sees every input position — a 3×3 `same` convolution on a 2×2
 * or 1×1 map, a `valid` one whose kernel spans its whole input — is one matrix product over the flattened
 * channels-first map: `[batch, cin·in] × [cin·in, cout·out]`. It does exactly the multiplies that fall inside
 * the input, no more (each input-output pair is one tap), but as one large GEMM. onnxruntime's direct
 * convolution runs such tiny maps at a third of its usual rate (ResNet50's last stage at 64² input: 2×2).
 * Returns null when the convolution is not of that kind (or its dense weights would be too large).
 */
export function emitDenseConv(
  g: GraphBuilder,
  x: Sym,
  kernel: { dims: number[]; data: Float32Array },
  bias: Float32Array | null,
  geo: Geometry,
  base: string,
): Sym | null {
  const spatial = x.shape.slice(2);
  if (spatial.some((s) => s === null)) return null;
  const inSize = spatial as number[];
  const pads = explicitPads(inSize, geo.kernel, geo.strides, geo.dilations, geo.padding);
  if (!pads) return null;
  const outSize = inSize.map(
    (s, i) => outputSize(s, geo.kernel[i], geo.strides[i], geo.dilations[i], geo.padding) as number,
  );
  const taps = tapTable(inSize, outSize, geo, pads);
  if (!taps) return null;
  const [cout, cin] = kernel.dims;
  const tapCount = geo.kernel.reduce((a, b) => a * b, 1);
  const inPositions = inSize.reduce((a, b) => a * b, 1);
  const outPositions = outSize.reduce((a, b) => a * b, 1);
  const rows = cin * inPositions;
  const cols = cout * outPositions;
  if (rows * cols > MAX_WEIGHT_GROWTH * kernel.data.length) return null;
  const dense = new Float32Array(rows * cols);
  for (let ci = 0; ci < cin; ci += 1) {
    for (let p = 0; p < inPositions; p += 1) {
      const row = (ci * inPositions + p) * cols;
      for (let co = 0; co < cout; co += 1) {
        const w = (co * cin + ci) * tapCount;
        for (let q = 0; q < outPositions; q += 1) {
          dense[row + co * outPositions + q] = kernel.data[w + taps[p * outPositions + q]];
        }
      }
    }
  }
  const flat = g.op('Reshape', [x.name, g.constInt64(`${base}_dense_in`, [-1, rows])]);
  const inputs = [flat, g.constFloat(`${base}_dense_kernel`, [rows, cols], dense)];
  if (bias) {
    const perPosition = new Float32Array(cols);
    for (let co = 0; co < cout; co += 1)
      perPosition.fill(bias[co], co * outPositions, (co + 1) * outPositions);
    inputs.push(g.constFloat(`${base}_dense_bias`, [cols], perPosition));
  }
  const product = g.op('Gemm', inputs);
  const shape = [x.shape[0], cout, ...outSize];
  return {
    name: g.op('Reshape', [product, g.constInt64(`${base}_dense_out`, [-1, cout, ...outSize])]),
    shape,
  };
}

/**
 * For each (input position, output position) pair, flattened row-major, the kernel tap joining them; null when
 * some pair has none (that output does not see that input, so a dense product would multiply by zeros).
 */
function tapTable(inSize: number[], outSize: number[], geo: Geometry, pads: number[]): Int32Array | null {
  const rank = inSize.length;
  const inPositions = inSize.reduce((a, b) => a * b, 1);
  const outPositions = outSize.reduce((a, b) => a * b, 1);
  const table = new Int32Array(inPositions * outPositions);
  const p = new Array<number>(rank);
  const q = new Array<number>(rank);
  for (let pi = 0; pi < inPositions; pi += 1) {
    unflatten(pi, inSize, p);
    for (let qi = 0; qi < outPositions; qi += 1) {
      unflatten(qi, outSize, q);
      let tap = 0;
      for (let d = 0; d < rank; d += 1) {
        const offset = p[d] - q[d] * geo.strides[d] + pads[d];
        if (offset < 0 || offset % geo.dilations[d] !== 0) return null;
        const t = offset / geo.dilations[d];
        if (t >= geo.kernel[d]) return null;
        tap = tap * geo.kernel[d] + t;
      }
      table[pi * outPositions + qi] = tap;
    }
  }
  return table;
}

function unflatten(index: number, sizes: number[], into: number[]): void {
  let rest = index;
  for (let d = sizes.length - 1; d >= 0; d -= 1) {
    into[d] = rest % sizes[d];
    rest = Math.floor(rest / sizes[d]);
  }
}
