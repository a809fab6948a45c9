import { type GraphParts, GraphView, intsAttribute } from './graph-view.js';
import type { NodeProto } from './proto.js';

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);

/**
 * Moves the first Transpose to channels-first above the input preprocessing that precedes it: `input →
 * Mul/Add/Sub/Div by constants → Transpose` becomes `input → Transpose → the same ops`, their constants permuted
 * alike, so every element gets the same arithmetic. In Keras' channels-last layout a per-channel constant of an
 * image (Rescaling, Normalization: 3 values) broadcasts over an innermost axis of 3, which onnxruntime runs
 * element triple by element triple; channels-first, each channel is one contiguous run of H×W values
 * (EfficientNetB0 64² at batch 32: the Normalization's Sub and Div took 8% of the run).
 *
 * Only chains that start at a graph input are moved: deeper in a network the channels-last layout may be the
 * cheaper one, and onnxruntime's transpose optimizer handles those.
 */
export function hoistInputTransposes(parts: GraphParts): NodeProto[] {
  // One chain at a time, looking at the graph afresh after each move.
  while (hoistOne(parts)) {}
  return parts.nodes;
}

function hoistOne(parts: GraphParts): boolean {
  const view = new GraphView(parts);
  const graphInputs = new Set(parts.inputs);
  for (const transpose of parts.nodes) {
    if (transpose.opType !== 'Transpose') continue;
    const perm = intsAttribute(transpose, 'perm');
    if (!perm) continue;
    const chain = chainAbove(transpose, view, perm.length);
    if (chain.length === 0) continue;
    const top = chain[chain.length - 1];
    if (!graphInputs.has(top.input?.[dataOperand(top, view)] ?? '')) continue;
    for (const op of chain) moveBelow(op, transpose, perm, parts, view);
    return true;
  }
  return false;
}

/** Index of the non-constant operand of an elementwise op with one float constant, or -1. */
function dataOperand(node: NodeProto, view: GraphView): number {
  const inputs = node.input ?? [];
  if (!ELEMENTWISE.has(node.opType ?? '') || inputs.length !== 2) return -1;
  const constant = inputs.map((name) => view.floats(name) !== null);
  if (constant[0] === constant[1]) return -1;
  return constant[0] ? 1 : 0;
}

/**
 * The elementwise ops above `transpose`, nearest first, each read only by the next, each with a constant of
 * lower rank than the tensor (so the data operand has the full rank and the output shape is the data's).
 */
function chainAbove(transpose: NodeProto, view: GraphView, rank: number): NodeProto[] {
  const chain: NodeProto[] = [];
  let reader = transpose;
  let input = transpose.input?.[0] ?? '';
  for (let node = view.producer(input); node; node = view.producer(input)) {
    const data = dataOperand(node, view);
    if (data < 0 || view.soleConsumer(input) !== reader) break;
    const constant = view.floats(node.input?.[1 - data] ?? '');
    if (!constant || constant.dims.length >= rank) break;
    chain.push(node);
    reader = node;
    input = node.input?.[data] ?? '';
  }
  return chain;
}

/**
 * Swaps `op` (whose output only `transpose` reads) and `transpose` in place: the Transpose now reads op's data
 * operand, and op reads the Transpose's output with its constant permuted. Node order stays topological since
 * the two nodes keep their places and exchange roles only by rewiring.
 */
function moveBelow(op: NodeProto, transpose: NodeProto, perm: number[], parts: GraphParts, view: GraphView) {
  const data = dataOperand(op, view);
  const inputs = [...(op.input ?? [])];
  const constName = inputs[1 - data];
  const constant = view.floats(constName);
  if (!constant) return;
  const rank = perm.length;
  const full = [...Array(rank - constant.dims.length).fill(1), ...constant.dims];
  const dims = perm.map((p) => full[p]);
  const permuted = parts.addFloat(`${constName}_transposed`, dims, permuteData(constant.data, full, perm));
  const opOutput = op.output?.[0] ?? '';
  const transposeOutput = transpose.output?.[0] ?? '';
  // The Transpose takes op's data operand and op's output name; op takes the Transpose's old output.
  transpose.input = [inputs[data]];
  transpose.output = [opOutput];
  inputs[data] = opOutput;
  inputs[1 - data] = permuted;
  op.input = inputs;
  op.output = [transposeOutput];
  // Exchange the two nodes' positions so the Transpose runs first.
  const i = parts.nodes.indexOf(op);
  const j = parts.nodes.indexOf(transpose);
  parts.nodes[i] = transpose;
  parts.nodes[j] = op;
}

/** `data` of shape `dims` transposed by `perm`. */
function permuteData(data: Float32Array, dims: number[], perm: number[]): Float32Array {
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const outDims = perm.map((p) => dims[p]);
  const out = new Float32Array(data.length);
  const index = Array(dims.length).fill(0);
  for (let o = 0; o < out.length; o += 1) {
    let source = 0;
    for (let a = 0; a < perm.length; a += 1) source += index[a] * strides[perm[a]];
    out[o] = data[source];
    for (let a = perm.length - 1; a >= 0; a -= 1) {
      index[a] += 1;
      if (index[a] < outDims[a]) break;
      index[a] = 0;
    }
  }
  return out;
}
