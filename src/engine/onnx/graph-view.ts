import { type AttributeProto, type NodeProto, onnx, type TensorProto } from './proto.js';

/** A built graph as the rewrite passes see it: nodes in order, constants by name, the graph's outputs. */
export interface GraphParts {
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: string[];
  outputs: string[];
  /** Adds a float32 constant under a fresh name based on `base` and returns the name. */
  addFloat(base: string, dims: number[], data: Float32Array): string;
}

/** Who writes and who reads each tensor, for passes that rewrite a node only when they know all of its consumers. */
export class GraphView {
  private readonly constants = new Map<string, TensorProto>();
  private readonly writers = new Map<string, NodeProto>();
  private readonly readers = new Map<string, NodeProto[]>();
  private readonly graphOutputs: Set<string>;

  constructor(parts: GraphParts) {
    for (const t of parts.initializers) if (t.name) this.constants.set(t.name, t);
    for (const node of parts.nodes) {
      for (const output of node.output ?? []) this.writers.set(output, node);
      for (const input of node.input ?? []) {
        if (!input) continue;
        const list = this.readers.get(input);
        if (list) list.push(node);
        else this.readers.set(input, [node]);
      }
    }
    this.graphOutputs = new Set(parts.outputs);
  }

  /** The node writing `tensor`, or undefined for a graph input, a constant or an unknown name. */
  producer(tensor: string): NodeProto | undefined {
    return this.writers.get(tensor);
  }

  /** The nodes reading `tensor`; null when a graph output is `tensor` itself (it must then stay). */
  consumers(tensor: string): NodeProto[] | null {
    if (this.graphOutputs.has(tensor)) return null;
    return this.readers.get(tensor) ?? [];
  }

  /** The one node reading `tensor`, or null. */
  soleConsumer(tensor: string): NodeProto | null {
    const list = this.consumers(tensor);
    return list && list.length === 1 ? list[0] : null;
  }

  /** The values of an int64 constant, or null when `name` is not one. */
  int64s(name: string): number[] | null {
    const t = this.constants.get(name);
    if (t?.dataType !== onnx.TensorProto.DataType.INT64) return null;
    if (t.rawData && t.rawData.length > 0) {
      const raw = t.rawData;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return (t.int64Data ?? []).map(Number);
  }

  /** A float32 constant, or null. */
  floats(name: string): { dims: number[]; data: Float32Array } | null {
    const t = this.constants.get(name);
    if (t?.dataType !== onnx.TensorProto.DataType.FLOAT) return null;
    const dims = (t.dims ?? []).map(Number);
    if (t.rawData && t.rawData.length > 0) {
      const raw = t.rawData.slice();
      return { dims, data: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) };
    }
    return { dims, data: Float32Array.from(t.floatData ?? []) };
  }
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intsAttribute(node: NodeProto, name: string): number[] | null {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map(Number) : null;
}

export function stringAttribute(node: NodeProto, name: string): string | null {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : null;
}
