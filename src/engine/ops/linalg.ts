import type { Shape } from '../../keras/model.js';
import { einsum } from '../onnx/einsum.js';
import { type Operand, operand } from './operands.js';
import { argument, type OpContext, onlyArguments, opConfig, registerOp, unsupportedOp } from './registry.js';

/** Products (keras/src/ops/numpy.py): matmul (`@`), einsum, and dot where it is a matmul. */

function broadcastBatch(ctx: OpContext, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[i - (rank - a.length)] ?? 1;
    const y = b[i - (rank - b.length)] ?? 1;
    if (x === 1) return y;
    if (y === 1 || x === y) return x;
    if (x === null) return y;
    if (y === null) return x;
    return unsupportedOp(ctx, `batch dimensions ${x} and ${y} do not broadcast`);
  });
}

/** Matmul shapes for rank ≥ 2 operands (a 1-D second operand is a vector), with the batch axis kept first. */
function matmulShape(ctx: OpContext, a: Operand, b: Operand): Shape {
  if (a.shape.length < 2 || b.shape.length < 1)
    unsupportedOp(ctx, `matmul of shapes [${a.shape}] and [${b.shape}]`);
  const k1 = a.shape[a.shape.length - 1];
  const k2 = b.shape.length === 1 ? b.shape[0] : b.shape[b.shape.length - 2];
  if (k1 !== null && k2 !== null && k1 !== k2) unsupportedOp(ctx, `matmul of [${a.shape}] and [${b.shape}]`);
  if (b.shape.length === 1) return a.shape.slice(0, -1);
  const batch = broadcastBatch(ctx, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]];
  const tensorRank = Math.max(...[a, b].filter((o) => !o.constant).map((o) => o.shape.length));
  if (shape.length !== tensorRank)
    unsupportedOp(ctx, 'a constant operand that adds axes before the batch axis');
  if (a.constant && !b.constant && b.shape.length === 2)
    unsupportedOp(ctx, 'a constant multiplied by a rank-2 tensor (it would mix records)');
  return shape;
}

registerOp('Matmul', (ctx) => {
  opConfig(ctx, []);
  onlyArguments(ctx, ['x1', 'x2']);
  const a = operand(ctx, argument(ctx, 0, 'x1'), 'x1');
  const b = operand(ctx, argument(ctx, 1, 'x2'), 'x2');
  const shape = matmulShape(ctx, a, b);
  return { name: ctx.g.op('MatMul', [a.name, b.name]), shape };
});

/** dot(x1, x2) is matmul when x2 is a matrix or a vector (np.dot's other cases are refused). */
registerOp('Dot', (ctx) => {
  opConfig(ctx, []);
  onlyArguments(ctx, ['x1', 'x2']);
  const a = operand(ctx, argument(ctx, 0, 'x1'), 'x1');
  const b = operand(ctx, argument(ctx, 1, 'x2'), 'x2');
  if (b.shape.length > 2) unsupportedOp(ctx, `dot with a rank-${b.shape.length} second operand`);
  return { name: ctx.g.op('MatMul', [a.name, b.name]), shape: matmulShape(ctx, a, b) };
});

/** einsum(subscripts, *operands): explicit `->` output required; the batch axis must stay the first output axis. */
registerOp('Einsum', (ctx) => {
  const cfg = opConfig(ctx, ['subscripts']);
  const equation = cfg.subscripts;
  if (typeof equation !== 'string' || !equation.includes('->'))
    unsupportedOp(ctx, `subscripts ${JSON.stringify(equation)} (an explicit "->" output is needed)`);
  if (Object.keys(ctx.kwargs).length > 0)
    unsupportedOp(ctx, `keyword arguments ${Object.keys(ctx.kwargs).join(', ')}`);
  const clean = equation.replace(/\s+/g, '');
  if (clean.includes('...')) unsupportedOp(ctx, 'ellipsis subscripts');
  const [lhs, out] = clean.split('->');
  const terms = lhs.split(',');
  if (terms.length !== ctx.args.length)
    unsupportedOp(ctx, `${terms.length} subscripts for ${ctx.args.length} operands`);
  const operands = ctx.args.map((arg, i) => operand(ctx, arg, `operand ${i}`));
  const dims = new Map<string, number | null>();
  operands.forEach((o, i) => {
    const letters = terms[i];
    if (letters.length !== o.shape.length)
      unsupportedOp(ctx, `subscripts "${letters}" for a rank-${o.shape.length} operand`);
    [...letters].forEach((l, j) => {
      const d = o.shape[j];
      const prev = dims.get(l);
      if (prev === undefined || prev === null || prev === 1) dims.set(l, d === 1 && prev != null ? prev : d);
    });
  });
  const batchLetters = terms.filter((_, i) => !operands[i].constant).map((t) => t[0]);
  if (batchLetters.length === 0 || new Set(batchLetters).size !== 1 || out[0] !== batchLetters[0]) {
    unsupportedOp(ctx, `subscripts "${equation}" do not keep the batch axis first`);
  }
  operands.forEach((o, i) => {
    if (o.constant && terms[i].includes(batchLetters[0]))
      unsupportedOp(ctx, 'a constant operand on the batch axis');
  });
  const shape: Shape = [...out].map((l) => {
    if (!dims.has(l)) unsupportedOp(ctx, `output subscript "${l}" not in any operand`);
    return dims.get(l) ?? null;
  });
  shape[0] = null;
  const name =
    operands.length === 2
      ? einsum(ctx.g, clean, operands[0], operands[1])
      : ctx.g.op(
          'Einsum',
          operands.map((o) => o.name),
          { equation: { s: clean } },
        );
  return { name, shape };
});
