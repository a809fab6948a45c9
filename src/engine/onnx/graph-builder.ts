import type { GraphParts } from './graph-view.js';
import { type AttributeProto, type NodeProto, onnx, type TensorProto, type ValueInfoProto } from './proto.js';

/** An ONNX attribute value, tagged so ints and floats never get confused. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { strings: string[] }
  | { g: onnxGraph };

type onnxGraph = ReturnType<GraphBuilder['buildGraph']>;

/** The opset the compiler targets (LayerNormalization needs 17). */
export const OPSET = 17;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function toAttribute(name: string, value: Attr): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in value) return { name, type: T.INT, i: value.i };
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  if ('s' in value) return { name, type: T.STRING, s: new TextEncoder().encode(value.s) };
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints };
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats };
  if ('strings' in value) {
    return { name, type: T.STRINGS, strings: value.strings.map((v) => new TextEncoder().encode(v)) };
  }
  return { name, type: T.GRAPH, g: value.g };
}

function valueInfo(name: string, dims: (number | string)[], elemType: number = FLOAT): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Every tensor name the nodes read, in subgraphs (Loop/Scan bodies) too. */
function referencedNames(nodes: NodeProto[], into = new Set<string>()): Set<string> {
  for (const node of nodes) {
    for (const input of node.input ?? []) into.add(input);
    for (const a of node.attribute ?? []) if (a.g) referencedNames(a.g.node ?? [], into);
  }
  return into;
}

/**
 * Builds one ONNX graph: nodes, constant initializers, inputs and outputs, with unique names.
 * Layer converters only ever talk to this class, never to the protobuf types.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  /** Per base, the suffix to try next: names are never freed, so the search resumes there (linear, not quadratic). */
  private readonly nextSuffix = new Map<string, number>();
  private readonly int64Cache = new Map<string, string>();

  /** A fresh tensor name based on `base`. */
  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_') || 't';
    let n = this.nextSuffix.get(clean) ?? 0;
    let name = n === 0 ? clean : `${clean}_${n}`;
    while (this.used.has(name)) {
      n += 1;
      name = `${clean}_${n}`;
    }
    this.nextSuffix.set(clean, n + 1);
    this.used.add(name);
    return name;
  }

  /** A float32 constant. */
  constFloat(base: string, dims: number[], data: Float32Array | number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (values.length !== expected) {
      throw new Error(`constant ${base}: ${values.length} values for dims [${dims.join(', ')}]`);
    }
    const name = this.unique(base);
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: raw });
    return name;
  }

  /** An int64 constant (shapes, axes, indices); identical constants are shared. */
  constInt64(base: string, values: number[], dims: number[] = [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    const cached = this.int64Cache.get(key);
    if (cached) return cached;
    const name = this.unique(base);
    const raw = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    this.initializers.push({ name, dims, dataType: INT64, rawData: raw });
    this.int64Cache.set(key, name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, base?: string): string {
    return this.opN(opType, inputs, 1, attrs, base)[0];
  }

  /** Adds a node with `outputs` outputs (an empty string input means "absent optional input"). */
  opN(
    opType: string,
    inputs: string[],
    outputs: number,
    attrs: Record<string, Attr> = {},
    base?: string,
  ): string[] {
    const stem = base ?? opType.toLowerCase();
    const names = Array.from({ length: outputs }, (_, i) =>
      this.unique(outputs === 1 ? stem : `${stem}_out${i}`),
    );
    this.nodes.push({
      opType,
      name: this.unique(`node_${stem}`),
      input: inputs,
      output: names,
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return names;
  }

  /** Declares a float32 graph input; symbolic dims are strings. */
  addInput(name: string, dims: (number | string)[]): string {
    if (this.used.has(name)) throw new Error(`duplicate graph input ${name}`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares `tensor` as a graph output called `name`. */
  addOutput(name: string, tensor: string, dims: (number | string)[]): void {
    const out = this.unique(name);
    this.nodes.push({ opType: 'Identity', name: this.unique(`node_${out}`), input: [tensor], output: [out] });
    this.outputs.push(valueInfo(out, dims));
  }

  /**
   * Rewrites the nodes added so far (`onnx/fuse-pads.ts` and the like): the pass sees every node, constant and
   * graph output, may change nodes in place and returns the nodes to keep, in order.
   */
  rewrite(pass: (parts: GraphParts) => NodeProto[]): void {
    const before = referencedNames(this.nodes);
    const kept = pass({
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputNames,
      outputs: this.outputNames,
      addFloat: (base, dims, data) => this.constFloat(base, dims, data),
    });
    this.nodes.splice(0, this.nodes.length, ...kept);
    // Constants the pass left unread go (onnxruntime warns about each unused initializer).
    const after = referencedNames(this.nodes);
    const dropped = new Set([...before].filter((name) => !after.has(name)));
    const live = this.initializers.filter((t) => !dropped.has(t.name ?? ''));
    this.initializers.splice(0, this.initializers.length, ...live);
    for (const [key, name] of this.int64Cache) if (dropped.has(name)) this.int64Cache.delete(key);
  }

  /** The graph as a protobuf object (also used for Loop/Scan bodies). */
  buildGraph(name: string) {
    return onnx.GraphProto.create({
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
  }

  /** Serializes the whole model. */
  buildModel(name: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'keras-batch',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: this.buildGraph(name),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  get outputNames(): string[] {
    return this.outputs.map((o) => o.name ?? '');
  }

  get inputNames(): string[] {
    return this.inputs.map((i) => i.name ?? '');
  }
}
