import type { Shape } from '../../keras/model.js';
import type { Sym } from '../layers/registry.js';
import { tensorArg } from './operands.js';
import {
  argument,
  axisOf,
  featureAxes,
  isTensorArg,
  type OpArg,
  type OpContext,
  onlyArguments,
  opConfig,
  registerOp,
  unsupportedOp,
} from './registry.js';

/**
 * Ops that move data without computing on it (keras/src/ops/numpy.py): reshape, transpose, expand/squeeze,
 * concatenate/stack/split/unstack, tile/repeat, flip, pad. The batch axis must stay axis 0 of every tensor.
 */

function intList(ctx: OpContext, value: unknown, what: string): number[] {
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    unsupportedOp(ctx, `${what} ${JSON.stringify(value ?? null)}`);
  }
  return list as number[];
}

function single(ctx: OpContext, config: readonly string[]): { x: Sym; cfg: Record<string, unknown> } {
  const cfg = opConfig(ctx, config);
  onlyArguments(ctx, ['x']);
  return { x: tensorArg(ctx, argument(ctx, 0, 'x'), 'x'), cfg };
}

const known = (shape: Shape): shape is number[] => shape.every((d) => d !== null);

/** reshape(x, newshape): newshape includes the batch axis, which must be -1 (or None) and keep the batch. */
registerOp('Reshape', (ctx) => {
  const { x, cfg } = single(ctx, ['newshape']);
  const raw = cfg.newshape;
  if (!Array.isArray(raw) || raw.length === 0) unsupportedOp(ctx, `newshape ${JSON.stringify(raw ?? null)}`);
  if (raw[0] !== -1 && raw[0] !== null)
    unsupportedOp(ctx, `newshape ${JSON.stringify(raw)} does not keep the batch axis (-1 first)`);
  const rest = intList(
    ctx,
    raw.slice(1).map((d) => (d === null ? -1 : d)),
    'newshape',
  );
  const open = rest.filter((d) => d === -1).length;
  if (open > 1 || rest.some((d) => d === 0 || d < -1)) unsupportedOp(ctx, `newshape ${JSON.stringify(raw)}`);
  const features = x.shape.slice(1);
  let dims: (number | null)[] = rest;
  if (open === 1) {
    const total = known(features) ? features.reduce((a, b) => a * b, 1) : null;
    const fixed = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (total !== null && total % fixed !== 0)
      unsupportedOp(ctx, `cannot reshape [${x.shape}] to ${JSON.stringify(raw)}`);
    dims = rest.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d));
  } else if (known(features) && features.reduce((a, b) => a * b, 1) !== rest.reduce((a, b) => a * b, 1)) {
    unsupportedOp(ctx, `cannot reshape [${x.shape}] to ${JSON.stringify(raw)}`);
  }
  const { g } = ctx;
  const target =
    open === 0
      ? g.constInt64('shape', [-1, ...rest])
      : g.op(
          'Concat',
          [
            g.op('Slice', [g.op('Shape', [x.name]), g.constInt64('s0', [0]), g.constInt64('s1', [1])]),
            g.constInt64('rest', rest),
          ],
          { axis: { i: 0 } },
        );
  return { name: g.op('Reshape', [x.name, target]), shape: [x.shape[0], ...dims] };
});

function permute(ctx: OpContext, x: Sym, perm: number[]): Sym {
  if (perm[0] !== 0) unsupportedOp(ctx, `axes ${JSON.stringify(perm)} move the batch axis`);
  return {
    name: ctx.g.op('Transpose', [x.name], { perm: { ints: perm } }),
    shape: perm.map((p) => x.shape[p]),
  };
}

registerOp('Transpose', (ctx) => {
  const { x, cfg } = single(ctx, ['axes']);
  const rank = x.shape.length;
  if (cfg.axes === null || cfg.axes === undefined)
    unsupportedOp(ctx, 'axes=None reverses the batch axis too');
  const perm = intList(ctx, cfg.axes, 'axes').map((a) => axisOf(ctx, a, rank));
  if (perm.length !== rank || new Set(perm).size !== rank)
    unsupportedOp(ctx, `axes ${JSON.stringify(cfg.axes)}`);
  return permute(ctx, x, perm);
});

registerOp('Swapaxes', (ctx) => {
  const { x, cfg } = single(ctx, ['axis1', 'axis2']);
  const rank = x.shape.length;
  const a = axisOf(ctx, cfg.axis1, rank);
  const b = axisOf(ctx, cfg.axis2, rank);
  const perm = Array.from({ length: rank }, (_, i) => (i === a ? b : i === b ? a : i));
  return permute(ctx, x, perm);
});

registerOp('Moveaxis', (ctx) => {
  const { x, cfg } = single(ctx, ['source', 'destination']);
  const rank = x.shape.length;
  const src = intList(ctx, cfg.source, 'source').map((a) => axisOf(ctx, a, rank));
  const dst = intList(ctx, cfg.destination, 'destination').map((a) => axisOf(ctx, a, rank));
  if (src.length !== dst.length) unsupportedOp(ctx, 'source and destination of different lengths');
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => !src.includes(i));
  const perm: number[] = Array(rank).fill(-1);
  dst.forEach((d, i) => {
    perm[d] = src[i];
  });
  for (let i = 0, r = 0; i < rank; i++) if (perm[i] === -1) perm[i] = rest[r++];
  return permute(ctx, x, perm);
});

registerOp('ExpandDims', (ctx) => {
  const { x, cfg } = single(ctx, ['axis']);
  const axes = intList(ctx, cfg.axis, 'axis');
  const rank = x.shape.length + axes.length;
  const norm = featureAxes(ctx, axes, rank);
  const shape: Shape = [];
  for (let i = 0, s = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[s++]);
  return { name: ctx.g.op('Unsqueeze', [x.name, ctx.g.constInt64('axes', norm)]), shape };
});

registerOp('Squeeze', (ctx) => {
  const { x, cfg } = single(ctx, ['axis']);
  const rank = x.shape.length;
  const axes =
    cfg.axis === null || cfg.axis === undefined
      ? x.shape.map((d, i) => (i > 0 && d === 1 ? i : -1)).filter((i) => i > 0)
      : featureAxes(ctx, intList(ctx, cfg.axis, 'axis'), rank);
  for (const a of axes) if (x.shape[a] !== 1) unsupportedOp(ctx, `squeezing axis ${a} of size ${x.shape[a]}`);
  if (axes.length === 0) return { name: ctx.g.op('Identity', [x.name]), shape: x.shape };
  return {
    name: ctx.g.op('Squeeze', [x.name, ctx.g.constInt64('axes', axes)]),
    shape: x.shape.filter((_, i) => !axes.includes(i)),
  };
});

function tensorList(ctx: OpContext, value: OpArg | undefined, what: string): Sym[] {
  if (!Array.isArray(value) || value.length === 0) unsupportedOp(ctx, `${what} is not a list of tensors`);
  return value.map((v) => {
    if (!isTensorArg(v)) unsupportedOp(ctx, `${what} holds ${JSON.stringify(v)}, not a tensor`);
    return v.tensor;
  });
}

function sameRank(ctx: OpContext, xs: Sym[]): number {
  const rank = xs[0].shape.length;
  if (xs.some((x) => x.shape.length !== rank)) unsupportedOp(ctx, 'tensors of different ranks');
  return rank;
}

registerOp(['Concatenate', 'Append'], (ctx) => {
  const cfg = opConfig(ctx, ['axis']);
  const isAppend = ctx.op.className === 'ops.Append';
  onlyArguments(ctx, isAppend ? ['x1', 'x2'] : ['xs']);
  const xs = isAppend
    ? [tensorArg(ctx, argument(ctx, 0, 'x1'), 'x1'), tensorArg(ctx, argument(ctx, 1, 'x2'), 'x2')]
    : tensorList(ctx, argument(ctx, 0, 'xs'), 'xs');
  const rank = sameRank(ctx, xs);
  const [axis] = featureAxes(ctx, cfg.axis ?? 0, rank);
  const shape = xs[0].shape.map((_, i) => {
    const dims = xs.map((x) => x.shape[i]);
    if (i === axis)
      return dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a + b, 0);
    return dims.find((d) => d !== null) ?? null;
  });
  return {
    name: ctx.g.op(
      'Concat',
      xs.map((x) => x.name),
      { axis: { i: axis } },
    ),
    shape,
  };
});

registerOp('Stack', (ctx) => {
  const cfg = opConfig(ctx, ['axis']);
  onlyArguments(ctx, ['x']);
  const xs = tensorList(ctx, argument(ctx, 0, 'x'), 'x');
  const rank = sameRank(ctx, xs) + 1;
  const [axis] = featureAxes(ctx, cfg.axis ?? 0, rank);
  const parts = xs.map((x) => ctx.g.op('Unsqueeze', [x.name, ctx.g.constInt64('axes', [axis])]));
  const shape = [...xs[0].shape];
  shape.splice(axis, 0, xs.length);
  return { name: ctx.g.op('Concat', parts, { axis: { i: axis } }), shape };
});

function splitSizes(ctx: OpContext, sections: unknown, size: number | null): number[] {
  if (size === null) unsupportedOp(ctx, 'splitting an axis of unknown size');
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || size % sections !== 0) {
      unsupportedOp(ctx, `${sections} sections of an axis of size ${size}`);
    }
    return Array(sections).fill(size / sections);
  }
  const cuts = intList(ctx, sections, 'indices_or_sections').map((i) =>
    Math.min(Math.max(i < 0 ? i + size : i, 0), size),
  );
  const bounds = [0, ...cuts, size];
  return bounds.slice(1).map((b, i) => Math.max(b - bounds[i], 0));
}

registerOp(['Split', 'ArraySplit'], (ctx) => {
  const { x, cfg } = single(ctx, ['indices_or_sections', 'axis']);
  const [axis] = featureAxes(ctx, cfg.axis ?? 0, x.shape.length);
  if (ctx.op.className === 'ops.ArraySplit' && typeof cfg.indices_or_sections === 'number') {
    unsupportedOp(ctx, 'array_split into sections');
  }
  const sizes = splitSizes(ctx, cfg.indices_or_sections, x.shape[axis]);
  const names = ctx.g.opN('Split', [x.name, ctx.g.constInt64('split', sizes)], sizes.length, {
    axis: { i: axis },
  });
  return names.map((name, i) => {
    const shape = [...x.shape];
    shape[axis] = sizes[i];
    return { name, shape };
  });
});

registerOp('Unstack', (ctx) => {
  const { x, cfg } = single(ctx, ['num', 'axis']);
  const [axis] = featureAxes(ctx, cfg.axis ?? 0, x.shape.length);
  const size = x.shape[axis];
  if (size === null || (cfg.num != null && cfg.num !== size))
    unsupportedOp(ctx, `unstacking an axis of size ${size}`);
  const names = ctx.g.opN('Split', [x.name, ctx.g.constInt64('split', Array(size).fill(1))], size, {
    axis: { i: axis },
  });
  const shape = x.shape.filter((_, i) => i !== axis);
  return names.map((n) => ({ name: ctx.g.op('Squeeze', [n, ctx.g.constInt64('axes', [axis])]), shape }));
});

registerOp('Tile', (ctx) => {
  const { x, cfg } = single(ctx, ['repeats']);
  const reps = intList(ctx, cfg.repeats, 'repeats');
  const rank = x.shape.length;
  if (reps.length > rank)
    unsupportedOp(ctx, `repeats ${JSON.stringify(reps)} add axes before the batch axis`);
  const full = [...Array(rank - reps.length).fill(1), ...reps];
  if (full[0] !== 1) unsupportedOp(ctx, 'tiling the batch axis');
  const shape = x.shape.map((d, i) => (d === null ? null : d * full[i]));
  return { name: ctx.g.op('Tile', [x.name, ctx.g.constInt64('repeats', full)]), shape };
});

/** repeat(x, n, axis): each element n times along the axis (Unsqueeze, Expand, Reshape). */
registerOp('Repeat', (ctx) => {
  const { x, cfg } = single(ctx, ['repeats', 'axis']);
  const n = cfg.repeats;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    unsupportedOp(ctx, `repeats ${JSON.stringify(n)}`);
  const [axis] = featureAxes(ctx, cfg.axis, x.shape.length);
  const { g } = ctx;
  const unsq = g.op('Unsqueeze', [x.name, g.constInt64('axes', [axis + 1])]);
  const ones = Array(x.shape.length + 1).fill(1);
  ones[axis + 1] = n;
  const expanded = g.op('Expand', [unsq, g.constInt64('reps', ones)]);
  const shape = x.shape.map((d, i) => (i === axis && d !== null ? d * n : d));
  const dims = shape.map((d, i) => (i === 0 ? -1 : d));
  if (dims.slice(1).some((d) => d === null)) unsupportedOp(ctx, 'repeat on a tensor with open axes');
  return { name: g.op('Reshape', [expanded, g.constInt64('shape', dims as number[])]), shape };
});

registerOp('Flip', (ctx) => {
  const { x, cfg } = single(ctx, ['axis']);
  const axes = featureAxes(ctx, cfg.axis, x.shape.length);
  const { g } = ctx;
  const big = Number.MAX_SAFE_INTEGER;
  const name = g.op('Slice', [
    x.name,
    g.constInt64(
      'starts',
      axes.map(() => -1),
    ),
    g.constInt64(
      'ends',
      axes.map(() => -big),
    ),
    g.constInt64('axes', axes),
    g.constInt64(
      'steps',
      axes.map(() => -1),
    ),
  ]);
  return { name, shape: x.shape };
});

/** pad(x, pad_width, mode, constant_values): the batch axis unpadded; constant, reflect and edge modes. */
registerOp('Pad', (ctx) => {
  const cfg = opConfig(ctx, ['pad_width', 'mode']);
  onlyArguments(ctx, ['x', 'constant_values']);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const rank = x.shape.length;
  const mode = cfg.mode ?? 'constant';
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge')
    unsupportedOp(ctx, `mode "${String(mode)}"`);
  const raw = cfg.pad_width;
  const pairs = Array.isArray(raw) && raw.length === rank ? raw : null;
  if (
    !pairs?.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0))
  ) {
    unsupportedOp(ctx, `pad_width ${JSON.stringify(raw)}`);
  }
  const widths = pairs as [number, number][];
  if (widths[0][0] !== 0 || widths[0][1] !== 0) unsupportedOp(ctx, 'padding the batch axis');
  const value = argument(ctx, 1, 'constant_values', 0);
  if (typeof value !== 'number' && value !== null)
    unsupportedOp(ctx, `constant_values ${JSON.stringify(value)}`);
  const { g } = ctx;
  const inputs = [x.name, g.constInt64('pads', [...widths.map((w) => w[0]), ...widths.map((w) => w[1])])];
  if (mode === 'constant') inputs.push(g.constFloat('value', [], [value ?? 0]));
  const shape = x.shape.map((d, i) => (d === null ? null : d + widths[i][0] + widths[i][1]));
  return { name: g.op('Pad', inputs, { mode: { s: mode } }), shape };
});
