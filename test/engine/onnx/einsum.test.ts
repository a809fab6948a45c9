import { describe, expect, it } from 'vitest';
import { einsum } from '../../../src/engine/onnx/einsum.js';
import { GraphBuilder } from '../../../src/engine/onnx/graph-builder.js';
import { onnx } from '../../../src/engine/onnx/proto.js';
import ort from '../../../src/engine/ort.js';
import { seededRandom as random } from '../../helpers/fault-proxy.js';

interface Case {
  equation: string;
  /** Run-time shapes. */
  a: number[];
  b: number[];
  /** Axes the graph declares open (unknown size), per operand. */
  openA?: number[];
  openB?: number[];
}

/** Builds one graph with our einsum and onnxruntime's Einsum side by side, runs both, and counts what is left. */
async function compare(c: Case, seed: number) {
  const g = new GraphBuilder();
  const declared = (dims: number[], open: number[] = [], prefix: string) =>
    dims.map((d, i) => (open.includes(i) ? `${prefix}${i}` : d));
  const a = g.addInput('a', declared(c.a, c.openA, 'a'));
  const b = g.addInput('b', declared(c.b, c.openB, 'b'));
  const shapeOf = (dims: number[], open: number[] = []) => dims.map((d, i) => (open.includes(i) ? null : d));
  const ours = einsum(
    g,
    c.equation,
    { name: a, shape: shapeOf(c.a, c.openA) },
    { name: b, shape: shapeOf(c.b, c.openB) },
  );
  const oursOps = countOps(g);
  const reference = g.op('Einsum', [a, b], { equation: { s: c.equation } });
  g.addOutput('ours', ours, []);
  g.addOutput('reference', reference, []);
  const model = onnx.ModelProto.decode(g.buildModel('einsum'));
  // Outputs of unknown rank: drop the declared (empty) shapes.
  for (const output of model.graph?.output ?? []) delete output.type?.tensorType?.shape;
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), {
    graphOptimizationLevel: 'disabled',
  });
  const next = random(seed);
  const data = (dims: number[]) =>
    Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => next() * 2 - 1);
  const out = await session.run({
    a: new ort.Tensor('float32', data(c.a), c.a),
    b: new ort.Tensor('float32', data(c.b), c.b),
  });
  await session.release();
  return { ours: out.ours, reference: out.reference, ops: oursOps };
}

function countOps(g: GraphBuilder): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of g.buildGraph('count').node ?? [])
    counts[String(node.opType)] = (counts[String(node.opType)] ?? 0) + 1;
  return counts;
}

function expectSame(ours: ort.Tensor, reference: ort.Tensor) {
  expect(ours.dims).toEqual(reference.dims);
  const x = ours.data as Float32Array;
  const y = reference.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThan(1e-5);
}

describe('einsum as MatMul', () => {
  // The equations Keras' MultiHeadAttention, EinsumDense, GroupedQueryAttention and Dot write, with the batch
  // axis (and a sequence axis) open as in a compiled model.
  const keras: Case[] = [
    { equation: 'abc,cde->abde', a: [3, 5, 8], b: [8, 2, 4], openA: [0] }, // MHA query projection
    { equation: 'aecd,abcd->acbe', a: [3, 6, 2, 4], b: [3, 5, 2, 4], openA: [0], openB: [0] }, // scores
    { equation: 'acbe,aecd->abcd', a: [3, 2, 5, 6], b: [3, 6, 2, 4], openA: [0], openB: [0] }, // combine
    { equation: 'abcd,cde->abe', a: [3, 5, 2, 4], b: [2, 4, 8], openA: [0] }, // output projection
    { equation: 'ab,bc->ac', a: [3, 8], b: [8, 6], openA: [0] }, // EinsumDense as Dense
    { equation: '...b,bc->...c', a: [3, 4, 5, 8], b: [8, 6], openA: [0] },
    { equation: 'abc,cd->abd', a: [3, 7, 8], b: [8, 6], openA: [0, 1] }, // open sequence axis
    { equation: 'aecd,abcd->acbe', a: [3, 6, 2, 4], b: [3, 5, 2, 4], openA: [0, 1], openB: [0, 1] },
    { equation: 'acbe,aecd->abcd', a: [3, 2, 5, 6], b: [3, 6, 2, 4], openA: [0, 2, 3], openB: [0, 1] },
    { equation: 'bquh,bkuh->buqk', a: [3, 5, 2, 4], b: [3, 6, 2, 4], openA: [0], openB: [0] }, // GQA
    { equation: 'abc,adc->abd', a: [3, 4, 5], b: [3, 6, 5], openA: [0], openB: [0] }, // Dot(axes=2)
    { equation: 'ab,ab->a', a: [3, 5], b: [3, 5], openA: [0], openB: [0] }, // Dot of vectors
    { equation: 'ab,ac->abc', a: [3, 5], b: [3, 4], openA: [0], openB: [0] }, // outer product
  ];
  for (const c of keras) {
    it(`${c.equation} on [${c.a}] and [${c.b}] (open ${c.openA ?? []} / ${c.openB ?? []})`, async () => {
      const { ours, reference, ops } = await compare(c, 1);
      expectSame(ours, reference);
      expect(ops.Einsum ?? 0).toBe(0);
      expect(ops.MatMul).toBe(1);
    });
  }

  it('keeps an Einsum node for what is not a plain contraction, with the same numbers', async () => {
    const kept: Case[] = [
      { equation: 'ab,bc->c', a: [3, 4], b: [4, 5] }, // a sum over one operand's axis
      { equation: 'abb,bc->ac', a: [2, 3, 3], b: [3, 4] }, // a diagonal
      // merging two groups of open axes: a Reshape can have only one -1
      { equation: 'abxcd,acde->abxe', a: [2, 3, 2, 4, 2], b: [2, 4, 2, 5], openA: [0, 1, 3], openB: [0, 1] },
    ];
    for (const c of kept) {
      const { ours, reference, ops } = await compare(c, 2);
      expectSame(ours, reference);
      expect(ops.Einsum, c.equation).toBe(1);
    }
  });

  it('agrees with Einsum on 150 random contractions, some axes open', async () => {
    const next = random(42);
    const pick = (n: number) => Math.floor(next() * n);
    const shuffle = <T>(xs: T[]) => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = pick(i + 1);
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    };
    let lowered = 0;
    for (let n = 0; n < 150; n++) {
      const letters = shuffle([...'abcdefgh']);
      const take = (k: number) => letters.splice(0, k);
      const batch = take(pick(3));
      const contract = take(pick(3));
      const freeA = take(pick(3));
      const freeB = take(pick(3));
      const size = new Map([...batch, ...contract, ...freeA, ...freeB].map((c) => [c, 1 + pick(4)]));
      const open = new Set([...size.keys()].filter(() => next() < 0.2));
      if ([...batch, ...contract, ...freeA].length === 0 || [...batch, ...contract, ...freeB].length === 0)
        continue;
      if ([...batch, ...freeA, ...freeB].length === 0) continue;
      const termA = shuffle([...batch, ...contract, ...freeA]);
      const termB = shuffle([...batch, ...contract, ...freeB]);
      const out = shuffle([...batch, ...freeA, ...freeB]);
      const dims = (term: string[]) => term.map((c) => size.get(c) as number);
      const openAxes = (term: string[]) => term.flatMap((c, i) => (open.has(c) ? [i] : []));
      const c: Case = {
        equation: `${termA.join('')},${termB.join('')}->${out.join('')}`,
        a: dims(termA),
        b: dims(termB),
        openA: openAxes(termA),
        openB: openAxes(termB),
      };
      const { ours, reference, ops } = await compare(c, n);
      expectSame(ours, reference);
      if (!ops.Einsum) lowered += 1;
    }
    // Only a Reshape that would need two unknown sizes keeps an Einsum: most cases are lowered.
    expect(lowered).toBeGreaterThan(90);
  });
});
