import { type GraphParts, GraphView, intsAttribute, stringAttribute } from './graph-view.js';
import { type NodeProto, onnx } from './proto.js';

/**
 * Folds a zero `Pad` (ZeroPadding1D/2D/3D) into the convolution that reads it, through the Transpose to
 * channels-first between them: `Pad → Transpose → Conv` becomes `Transpose → Conv` with the padding added to the
 * Conv's own `pads`, which are zeros too, so the numbers do not change. onnxruntime runs its convolutions in a
 * blocked channel layout (NCHWc) that a standalone Pad cannot read: each one cost a reorder out, the padding
 * copy and a reorder back (EfficientNetB0 64² at batch 32: 5 Pads, about a fifth of the run).
 *
 * onnxruntime's own Pad fusion is off (docs/engine.md: it also folds a Pad into MaxPool, whose pads count as
 * -inf), so this pass touches convolutions only.
 */
export function fusePadsIntoConvs(parts: GraphParts): NodeProto[] {
  const view = new GraphView(parts);
  const removed = new Set<NodeProto>();
  for (const pad of parts.nodes) {
    if (pad.opType !== 'Pad' || !isZeroPad(pad)) continue;
    const pads = view.int64s(pad.input?.[1] ?? '');
    if (!pads || pads.some((p) => p < 0)) continue;
    const next = view.soleConsumer(pad.output?.[0] ?? '');
    if (!next) continue;
    let conv = next;
    let perm = Array.from({ length: pads.length / 2 }, (_, i) => i);
    if (next.opType === 'Transpose') {
      const given = intsAttribute(next, 'perm');
      const after = view.soleConsumer(next.output?.[0] ?? '');
      if (!given || given.length !== perm.length || !after) continue;
      perm = given;
      conv = after;
    }
    const fed = conv === next ? pad.output?.[0] : next.output?.[0];
    if (conv.input?.[0] !== fed) continue;
    if (!foldInto(conv, pads, perm)) continue;
    next.input = [pad.input?.[0] ?? '', ...(next.input ?? []).slice(1)];
    removed.add(pad);
  }
  return parts.nodes.filter((n) => !removed.has(n));
}

/** A constant-mode Pad without a fill value (zero) and without `axes`. */
function isZeroPad(pad: NodeProto): boolean {
  const mode = stringAttribute(pad, 'mode');
  if (mode !== null && mode !== 'constant') return false;
  const inputs = pad.input ?? [];
  return inputs.length === 2 || (inputs.length === 3 && inputs[2] === '');
}

/**
 * Adds the Pad's `pads` (axes of the Pad's input; the Conv reads them permuted by `perm`) to the Conv's, when the
 * Conv takes the padded tensor as its data input, has explicit pads, and no padding lands on batch or channels.
 */
function foldInto(conv: NodeProto, pads: number[], perm: number[]): boolean {
  const rank = perm.length;
  if (conv.opType !== 'Conv' || rank < 3) return false;
  const autoPad = stringAttribute(conv, 'auto_pad');
  if (autoPad !== null && autoPad !== 'NOTSET') return false;
  const begin = (axis: number) => pads[perm[axis]];
  const end = (axis: number) => pads[rank + perm[axis]];
  if (begin(0) || end(0) || begin(1) || end(1)) return false;
  const spatial = rank - 2;
  const own = intsAttribute(conv, 'pads') ?? Array(2 * spatial).fill(0);
  if (own.length !== 2 * spatial) return false;
  const merged = own.map((p, i) => (i < spatial ? p + begin(i + 2) : p + end(i - spatial + 2)));
  const attrs = (conv.attribute ?? []).filter((a) => a.name !== 'pads' && a.name !== 'auto_pad');
  conv.attribute = [...attrs, { name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: merged }];
  return true;
}
