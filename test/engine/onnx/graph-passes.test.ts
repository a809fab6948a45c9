import { describe, expect, it } from 'vitest';
import { fusePadsIntoConvs } from '../../../src/engine/onnx/fuse-pads.js';
import { GraphBuilder } from '../../../src/engine/onnx/graph-builder.js';
import { intsAttribute } from '../../../src/engine/onnx/graph-view.js';
import { hoistInputTransposes } from '../../../src/engine/onnx/hoist-transposes.js';
import { poolBeforePointwiseConvs } from '../../../src/engine/onnx/pool-before-conv.js';
import { onnx } from '../../../src/engine/onnx/proto.js';
import ort from '../../../src/engine/ort.js';

const NHWC = [2, 5, 6, 3];
const TO_NCHW = { perm: { ints: [0, 3, 1, 2] } };

function seeded(n: number, seed = 7): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

async function run(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'disabled',
  });
  const out = await session.run({ x: new ort.Tensor('float32', x, dims) });
  await session.release();
  return out[session.outputNames[0]].data as Float32Array;
}

const nodesOf = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph?.node ?? [];

/** input NHWC → zero Pad → Transpose to NCHW → `consumer` (a 3×3 Conv or a MaxPool) → graph output. */
function padThen(consumer: 'Conv' | 'MaxPool', pass: boolean, extraReader = false): Uint8Array {
  const g = new GraphBuilder();
  g.addInput('x', NHWC);
  const pads = g.constInt64('pads', [0, 1, 2, 0, 0, 1, 0, 0]);
  const padded = g.op('Pad', ['x', pads], { mode: { s: 'constant' } });
  const nchw = g.op('Transpose', [padded], TO_NCHW);
  const window = { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 1] } };
  const y =
    consumer === 'Conv'
      ? g.op('Conv', [nchw, g.constFloat('w', [4, 3, 3, 3], seeded(108, 3))], {
          ...window,
          pads: { ints: [0, 0, 1, 1] },
        })
      : g.op('MaxPool', [nchw], window);
  g.addOutput('y', y, ['n', 'c', 'h', 'w']);
  if (extraReader) g.addOutput('padded', padded, NHWC);
  if (pass) g.rewrite(fusePadsIntoConvs);
  return g.buildModel('t');
}

describe('fusePadsIntoConvs', () => {
  it('folds a zero Pad into the Conv behind its Transpose, with the same numbers', async () => {
    const fused = padThen('Conv', true);
    const nodes = nodesOf(fused);
    expect(nodes.map((n) => n.opType)).toEqual(['Transpose', 'Conv', 'Identity']);
    // Pad axes (N, H, W, C) seen through perm [0, 3, 1, 2]: H gets 1 + 1, W gets 2 at the start.
    expect(intsAttribute(nodes[1], 'pads')).toEqual([1, 2, 2, 1]);
    // The Pad's own constant goes with it (onnxruntime warns about unused initializers).
    expect(onnx.ModelProto.decode(fused).graph?.initializer?.map((t) => t.name)).toEqual(['w']);
    const x = seeded(NHWC.reduce((a, b) => a * b, 1));
    expect(await run(fused, x, NHWC)).toEqual(await run(padThen('Conv', false), x, NHWC));
  });

  it('leaves a Pad before MaxPool, and a Pad another node also reads', () => {
    expect(nodesOf(padThen('MaxPool', true)).map((n) => n.opType)).toContain('Pad');
    expect(nodesOf(padThen('Conv', true, true)).map((n) => n.opType)).toContain('Pad');
  });
});

/** input NHWC → [Relu] → Mul by a scalar → Sub a per-channel constant → Transpose to NCHW → output. */
function preprocessThenTranspose(pass: boolean, reluFirst = false): Uint8Array {
  const g = new GraphBuilder();
  g.addInput('x', NHWC);
  const start = reluFirst ? g.op('Relu', ['x']) : 'x';
  const scaled = g.op('Mul', [start, g.constFloat('scale', [], [1 / 255])]);
  const centred = g.op('Sub', [g.constFloat('mean', [1, 1, 3], [0.1, -0.2, 0.3]), scaled]);
  g.addOutput('y', g.op('Transpose', [centred], TO_NCHW), [2, 3, 5, 6]);
  if (pass) g.rewrite(hoistInputTransposes);
  return g.buildModel('t');
}

describe('hoistInputTransposes', () => {
  it('moves the Transpose above per-channel preprocessing at the input, with the same numbers', async () => {
    const hoisted = preprocessThenTranspose(true);
    const nodes = nodesOf(hoisted);
    expect(nodes.map((n) => n.opType)).toEqual(['Transpose', 'Mul', 'Sub', 'Identity']);
    expect(nodes[0].input).toEqual(['x']);
    const x = seeded(
      NHWC.reduce((a, b) => a * b, 1),
      11,
    ).map((v) => v * 255);
    expect(await run(hoisted, x, NHWC)).toEqual(await run(preprocessThenTranspose(false), x, NHWC));
  });

  it('leaves chains that do not start at a graph input', () => {
    const ops = nodesOf(preprocessThenTranspose(true, true)).map((n) => n.opType);
    expect(ops).toEqual(['Relu', 'Mul', 'Sub', 'Transpose', 'Identity']);
  });
});

interface PoolCase {
  kernel?: number;
  pool?: 'AveragePool' | 'MaxPool';
  poolPads?: number[];
  strides?: number[];
  /** The Transpose pair between the Conv and the pool, as two layers compile it (channels-last between). */
  transposes?: boolean;
  /** The Conv's output is a graph output too. */
  convRead?: boolean;
}

/** NCHW input [2, 3, 8, 6] → Conv (3 → 5 channels, with bias) → [Transpose pair] → pool → graph output. */
function convThenPool(pass: boolean, c: PoolCase = {}): Uint8Array {
  const kernel = c.kernel ?? 1;
  const g = new GraphBuilder();
  g.addInput('x', [2, 3, 8, 6]);
  const w = g.constFloat('w', [5, 3, kernel, kernel], seeded(15 * kernel * kernel, 5));
  const conv = g.op('Conv', ['x', w, g.constFloat('b', [5], seeded(5, 9))], {
    kernel_shape: { ints: [kernel, kernel] },
    pads: { ints: [0, 0, 0, 0] },
  });
  const last = c.transposes
    ? g.op('Transpose', [g.op('Transpose', [conv], { perm: { ints: [0, 2, 3, 1] } })], TO_NCHW)
    : conv;
  const y = g.op(c.pool ?? 'AveragePool', [last], {
    kernel_shape: { ints: [2, 2] },
    strides: { ints: c.strides ?? [2, 2] },
    pads: { ints: c.poolPads ?? [0, 0, 0, 0] },
    ...(c.pool === 'MaxPool' ? {} : { count_include_pad: { i: 0 } }),
  });
  g.addOutput('y', y, ['n', 'c', 'h', 'w']);
  if (c.convRead) g.addOutput('conv', conv, ['n', 'c', 'h', 'w']);
  if (pass) g.rewrite(poolBeforePointwiseConvs);
  return g.buildModel('t');
}

describe('poolBeforePointwiseConvs', () => {
  const x = seeded(2 * 3 * 8 * 6, 13);
  const ops = (bytes: Uint8Array) => nodesOf(bytes).map((n) => n.opType);

  for (const transposes of [false, true]) {
    it(`pools before a 1×1 Conv with its bias (${transposes ? 'through a Transpose pair' : 'adjacent'}), with the same numbers`, async () => {
      const moved = convThenPool(true, { transposes });
      expect(ops(moved)).toEqual(['AveragePool', 'Conv', 'Identity']);
      const got = await run(moved, x, [2, 3, 8, 6]);
      const want = await run(convThenPool(false, { transposes }), x, [2, 3, 8, 6]);
      expect(got.length).toBe(2 * 5 * 4 * 3);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    });
  }

  it('leaves a 3×3 Conv, a MaxPool, a padded or non-shrinking pool, and a Conv output read elsewhere', () => {
    expect(ops(convThenPool(true, { kernel: 3 }))[0]).toBe('Conv');
    expect(ops(convThenPool(true, { pool: 'MaxPool' }))[0]).toBe('Conv');
    expect(ops(convThenPool(true, { poolPads: [1, 1, 0, 0] }))[0]).toBe('Conv');
    expect(ops(convThenPool(true, { strides: [1, 1] }))[0]).toBe('Conv');
    expect(ops(convThenPool(true, { convRead: true }))[0]).toBe('Conv');
  });
});
