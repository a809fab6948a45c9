import type { Shape } from '../../keras/model.js';
import {
  broadcastShape,
  constantArray,
  floatToBool,
  ONNX_FLOAT,
  ONNX_INT64,
  operand,
  tensorArg,
} from './operands.js';
import {
  argument,
  featureAxes,
  isTensorArg,
  type OpArg,
  type OpContext,
  onlyArguments,
  opConfig,
  registerOp,
  unsupportedOp,
} from './registry.js';

/** Indexing ops (keras/src/ops/numpy.py): `x[...]` (GetItem), take, where, one_hot. */

const BIG = Number.MAX_SAFE_INTEGER;

type KeyItem =
  | { kind: 'slice'; start: number | null; stop: number | null; step: number }
  | { kind: 'index'; index: number }
  | { kind: 'newaxis' }
  | { kind: 'ellipsis' };

function keyItem(ctx: OpContext, item: OpArg): KeyItem {
  if (item === null) return { kind: 'newaxis' };
  if (typeof item === 'number' && Number.isInteger(item)) return { kind: 'index', index: item };
  if (typeof item === 'object' && !Array.isArray(item) && !isTensorArg(item)) {
    if (item.class_name === '__ellipsis__') return { kind: 'ellipsis' };
    const cfg = item.config as Record<string, unknown> | null;
    if (item.class_name === '__slice__' && typeof cfg === 'object' && cfg !== null && !Array.isArray(cfg)) {
      const part = (v: unknown) =>
        v === null || v === undefined ? null : Number.isInteger(v) ? (v as number) : NaN;
      const [start, stop, step] = [part(cfg.start), part(cfg.stop), part(cfg.step)];
      if (![start, stop, step].some((v) => Number.isNaN(v)) && step !== 0) {
        return { kind: 'slice', start, stop, step: step ?? 1 };
      }
    }
  }
  unsupportedOp(ctx, `index ${JSON.stringify(item)} (only integers, slices, None and ...)`);
}

/** Python's len(range(*slice(start, stop, step).indices(size))). */
function sliceLength(size: number, start: number | null, stop: number | null, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number | null, dflt: number, lo: number, hi: number) =>
    v === null ? dflt : clamp(v < 0 ? v + size : v, lo, hi);
  const s = step > 0 ? norm(start, 0, 0, size) : norm(start, size - 1, -1, size - 1);
  const e = step > 0 ? norm(stop, size, 0, size) : norm(stop, -1, -1, size - 1);
  const n = step > 0 ? Math.ceil((e - s) / step) : Math.ceil((s - e) / -step);
  return Math.max(n, 0);
}

registerOp('GetItem', (ctx) => {
  opConfig(ctx, []);
  onlyArguments(ctx, ['x', 'key']);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const raw = argument(ctx, 1, 'key');
  const items = (Array.isArray(raw) ? raw : [raw as OpArg]).map((item) => keyItem(ctx, item));
  if (items.filter((i) => i.kind === 'ellipsis').length > 1) unsupportedOp(ctx, 'more than one ...');
  const consuming = items.filter((i) => i.kind === 'slice' || i.kind === 'index').length;
  const rank = x.shape.length;
  if (consuming > rank) unsupportedOp(ctx, `${consuming} indices for a rank-${rank} tensor`);
  const expanded: Exclude<KeyItem, { kind: 'ellipsis' }>[] = [];
  for (const item of items) {
    if (item.kind === 'ellipsis') {
      for (let k = 0; k < rank - consuming; k++)
        expanded.push({ kind: 'slice', start: null, stop: null, step: 1 });
    } else expanded.push(item);
  }
  while (expanded.filter((i) => i.kind !== 'newaxis').length < rank) {
    expanded.push({ kind: 'slice', start: null, stop: null, step: 1 });
  }
  const first = expanded[0];
  if (first.kind !== 'slice' || first.start !== null || first.stop !== null || first.step !== 1) {
    unsupportedOp(ctx, 'an index on the batch axis (the first index must be `:`)');
  }
  const sliceAxes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  const squeeze: number[] = [];
  const outShape: Shape = [];
  const newAxes: number[] = [];
  let axis = 0;
  for (const item of expanded) {
    if (item.kind === 'newaxis') {
      newAxes.push(outShape.length);
      outShape.push(1);
      continue;
    }
    const size = x.shape[axis];
    if (item.kind === 'index') {
      if (size !== null && (item.index >= size || item.index < -size)) {
        unsupportedOp(ctx, `index ${item.index} out of range for axis ${axis} of size ${size}`);
      }
      if (size === null && item.index < 0)
        unsupportedOp(ctx, `negative index on axis ${axis} of unknown size`);
      sliceAxes.push(axis);
      starts.push(item.index);
      ends.push(item.index === -1 ? BIG : item.index + 1);
      steps.push(1);
      squeeze.push(axis);
    } else {
      const full = item.start === null && item.stop === null && item.step === 1;
      if (!full) {
        sliceAxes.push(axis);
        starts.push(item.start ?? (item.step > 0 ? 0 : BIG));
        ends.push(item.stop ?? (item.step > 0 ? BIG : -BIG));
        steps.push(item.step);
      }
      outShape.push(full ? size : size === null ? null : sliceLength(size, item.start, item.stop, item.step));
    }
    axis++;
  }
  const { g } = ctx;
  let name = x.name;
  if (sliceAxes.length > 0) {
    name = g.op('Slice', [
      name,
      g.constInt64('starts', starts),
      g.constInt64('ends', ends),
      g.constInt64('axes', sliceAxes),
      g.constInt64('steps', steps),
    ]);
  }
  if (squeeze.length > 0) name = g.op('Squeeze', [name, g.constInt64('axes', squeeze)]);
  if (newAxes.length > 0) name = g.op('Unsqueeze', [name, g.constInt64('axes', newAxes)]);
  if (name === x.name) name = g.op('Identity', [name]);
  return { name, shape: outShape };
});

/** take(x, indices, axis): Gather (negative indices count from the end, as Keras fixes them). */
registerOp('Take', (ctx) => {
  const cfg = opConfig(ctx, ['axis']);
  onlyArguments(ctx, ['x', 'indices']);
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const [axis] = featureAxes(ctx, cfg.axis, x.shape.length);
  const raw = argument(ctx, 1, 'indices');
  const indices = operand(ctx, raw, 'indices');
  const { g } = ctx;
  const size = x.shape[axis];
  if (indices.constant && size !== null) {
    const flat = constantArray(raw as OpArg)?.data ?? [];
    if (flat.some((i) => !Number.isInteger(i) || i >= size || i < -size)) {
      unsupportedOp(ctx, `indices ${JSON.stringify(raw)} out of range for an axis of size ${size}`);
    }
  }
  const ids = g.op('Cast', [indices.name], { to: { i: ONNX_INT64 } });
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  return { name: g.op('Gather', [x.name, ids], { axis: { i: axis } }), shape };
});

/** where(condition, x1, x2), constants on any side; the one-argument form (nonzero) is refused. */
registerOp('Where', (ctx) => {
  opConfig(ctx, []);
  onlyArguments(ctx, ['condition', 'x1', 'x2']);
  const parts = (['condition', 'x1', 'x2'] as const).map((n, i) => {
    const v = argument(ctx, i, n, null);
    if (v === null) unsupportedOp(ctx, `where without ${n}`);
    return operand(ctx, v, n);
  });
  const shape = broadcastShape(ctx, parts);
  const name = ctx.g.op('Where', [floatToBool(ctx, parts[0].name), parts[1].name, parts[2].name]);
  return { name, shape };
});

/** one_hot(x, num_classes, axis): indices truncated to integers; negative or too large give all zeros (TF). */
registerOp('OneHot', (ctx) => {
  const cfg = opConfig(ctx, ['num_classes', 'axis', 'sparse']);
  onlyArguments(ctx, ['x']);
  if (cfg.sparse === true) unsupportedOp(ctx, 'sparse=True');
  const x = tensorArg(ctx, argument(ctx, 0, 'x'), 'x');
  const depth = cfg.num_classes;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth <= 0)
    unsupportedOp(ctx, `num_classes ${JSON.stringify(depth)}`);
  const rank = x.shape.length + 1;
  const [axis] = featureAxes(ctx, cfg.axis ?? -1, rank);
  const { g } = ctx;
  const ids = g.op('Cast', [x.name], { to: { i: ONNX_INT64 } });
  const depthConst = g.constInt64('depth', [depth], []);
  const safe = g.op('Where', [g.op('Less', [ids, g.constInt64('zero', [0], [])]), depthConst, ids]);
  const name = g.op('OneHot', [safe, depthConst, g.constFloat('values', [2], [0, 1])], { axis: { i: axis } });
  const shape: Shape = [...x.shape];
  shape.splice(axis, 0, depth);
  return { name: g.op('Cast', [name], { to: { i: ONNX_FLOAT } }), shape };
});
