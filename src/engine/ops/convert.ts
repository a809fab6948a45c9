import {
  type InboundNode,
  type LayerSpec,
  type ModelDescription,
  OP_CLASS_PREFIX,
  type TensorRef,
} from '../../keras/model.js';
import { EngineError, errorMessage } from '../../util/errors.js';
import type { Sym } from '../layers/registry.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import './index.js';
import { type OpArg, opConverterFor } from './registry.js';

const isRef = (v: unknown): v is TensorRef =>
  typeof v === 'object' && v !== null && typeof (v as TensorRef).layer === 'string' && 'nodeIndex' in v;

/** The Keras op class of an op layer (`ops.Add` → `Add`). */
export const opClassOf = (layer: LayerSpec): string => layer.className.slice(OP_CLASS_PREFIX.length);

/**
 * Compiles one call of a Keras op: its stored arguments with tensors resolved to the graph's symbols. Ops
 * neither use nor produce Keras masks (keras.ops are not layers), so the results carry none.
 */
export function convertOpCall(
  g: GraphBuilder,
  model: ModelDescription,
  op: LayerSpec,
  node: InboundNode,
  lookup: (ref: TensorRef) => Sym,
): Sym[] {
  const converter = opConverterFor(opClassOf(op));
  if (!converter) {
    throw new EngineError(
      'ENGINE_UNSUPPORTED',
      `op ${op.name} (${op.className}) is not supported by the ONNX engine`,
    );
  }
  const resolve = (value: unknown): OpArg => {
    if (isRef(value)) return { tensor: lookup(value), dtype: value.dtype ?? null };
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    }
    return value as OpArg;
  };
  const args = (node.args ?? node.inputs).map(resolve);
  const kwargs = Object.fromEntries(Object.entries(node.kwargs).map(([k, v]) => [k, resolve(v)]));
  try {
    const out = converter({ g, op, model, args, kwargs });
    return Array.isArray(out) ? out : [out];
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError(
      'ENGINE_COMPILE_FAILED',
      `op ${op.name} (${op.className}): ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}
