/**
 * Flatten a {@link RawModel} into the engine's view: nested Sequential/Functional models used as layers
 * are inlined into the parent graph (inner layers renamed `<outer>/<inner>`, their inputs wired to the
 * tensors the outer call consumed, references to their outputs redirected to the inner output layers).
 */
import { KerasErrorCode, loadError } from './errors.js';
import { isObject } from './json.js';
import type { InboundNode, LayerSpec, ModelInput, ModelOutput, Shape, TensorRef } from './model.js';
import type { RawLayer, RawModel } from './raw-model.js';

interface Scope {
  prefix: string;
  model: RawModel;
  parent: Scope | null;
  inputSubs: Map<string, TensorRef> | null;
  byName: Map<string, RawLayer>;
  nodeBase: Map<string, number>;
  calls: Map<string, Scope[]>;
}

interface Pending {
  scope: Scope;
  spec: LayerSpec;
  slot: number;
  node: InboundNode;
}

const MAX_RESOLVE_DEPTH = 1000;

/** A TensorRef as the graph parser makes them: the three indices and, for Keras 3 tensors, a recorded dtype. */
function isRef(value: unknown): value is TensorRef {
  return (
    isObject(value) &&
    typeof value.layer === 'string' &&
    typeof value.nodeIndex === 'number' &&
    typeof value.tensorIndex === 'number' &&
    (value.dtype === undefined || typeof value.dtype === 'string') &&
    Object.keys(value).every(
      (k) => k === 'layer' || k === 'nodeIndex' || k === 'tensorIndex' || k === 'dtype',
    )
  );
}

/** The flattened graph of a model. */
export interface FlatGraph {
  layers: LayerSpec[];
  inputs: ModelInput[];
  outputs: ModelOutput[];
}

/** Check an input shape and force the batch axis open. */
export function inputShape(value: unknown, name: string): Shape {
  if (!Array.isArray(value) || value.length === 0) {
    throw loadError(KerasErrorCode.NoInputShape, `input '${name}' has no shape`);
  }
  const shape = value.map((d, i) => {
    if (i === 0 || d === null || d === -1) return null;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 2 ** 31 - 1) {
      throw loadError(KerasErrorCode.BadShape, `input '${name}' has an invalid dimension ${String(d)}`);
    }
    return d;
  });
  return shape;
}

/**
 * Flatten a parsed model into layers (config order, nested models inlined), inputs and outputs.
 * `legacyNodeIndices`: the config comes from Keras 1/2 (nested models' node indices may start at 1).
 */
export function flattenModel(root: RawModel, legacyNodeIndices = false): FlatGraph {
  return new GraphFlattener(legacyNodeIndices).flatten(root);
}

/** The state of one {@link flattenModel} run: the layers collected so far and the calls still to wire. */
class GraphFlattener {
  private readonly specs = new Map<string, LayerSpec>();
  private readonly order: LayerSpec[] = [];
  private readonly pending: Pending[] = [];
  private readonly offsets = new Map<Scope, Map<string, number>>();

  constructor(private readonly legacyNodeIndices: boolean) {}

  flatten(root: RawModel): FlatGraph {
    const top = this.makeScope(root, '', null, null);
    this.register(top, 0);
    for (const p of this.pending) {
      p.spec.inbound[p.slot] = {
        inputs: p.node.inputs.map((r) => this.resolve(p.scope, r, 0)),
        kwargs: this.resolveKwargs(p.scope, p.node.kwargs) as Record<string, unknown>,
      };
      if (p.node.args) p.spec.inbound[p.slot].args = this.resolveKwargs(p.scope, p.node.args) as unknown[];
    }
    const inputs: ModelInput[] = root.inputs.map((ref) => {
      const resolved = this.resolve(top, ref, 0);
      const spec = this.specs.get(resolved.layer);
      if (spec?.className !== 'InputLayer') {
        throw loadError(KerasErrorCode.BadGraph, `model input '${ref.layer}' is not an InputLayer`);
      }
      const dtype = typeof spec.config.dtype === 'string' ? spec.config.dtype : 'float32';
      return { name: spec.name, shape: inputShape(spec.config.batch_input_shape, spec.name), dtype };
    });
    const outputs: ModelOutput[] = root.outputs.map((ref) => {
      const resolved = this.resolve(top, ref, 0);
      return { name: resolved.layer, ref: resolved };
    });
    return { layers: this.order, inputs, outputs };
  }

  private makeScope(
    model: RawModel,
    prefix: string,
    parent: Scope | null,
    subs: Map<string, TensorRef> | null,
  ): Scope {
    const byName = new Map<string, RawLayer>();
    for (const l of model.layers) {
      if (byName.has(l.name)) throw loadError(KerasErrorCode.BadGraph, `two layers are named '${l.name}'`);
      byName.set(l.name, l);
    }
    return { prefix, model, parent, inputSubs: subs, byName, nodeBase: new Map(), calls: new Map() };
  }

  private register(scope: Scope, depth: number): void {
    if (depth > 32) throw loadError(KerasErrorCode.BadGraph, 'models are nested too deeply');
    for (const layer of scope.model.layers) {
      if (layer.className === 'InputLayer' && scope.inputSubs) continue;
      if (layer.model) this.registerNestedModel(scope, layer, layer.model, depth);
      else this.registerLayer(scope, layer);
    }
  }

  private registerNestedModel(scope: Scope, layer: RawLayer, inner: RawModel, depth: number): void {
    const scopes: Scope[] = [];
    for (const node of layer.inbound) {
      // tf.keras honours a recorded training=True in predict; Keras 3 passes predict's training=False.
      if (this.legacyNodeIndices && node.kwargs.training === true) {
        throw loadError(
          KerasErrorCode.BadGraph,
          `nested model '${layer.name}' is called with training=True: Keras would run its layers in training mode in predict`,
        );
      }
      if (node.inputs.length !== inner.inputs.length) {
        throw loadError(
          KerasErrorCode.BadGraph,
          `nested model '${layer.name}' is called with ${node.inputs.length} tensors but has ${inner.inputs.length} inputs`,
        );
      }
      const subs = new Map<string, TensorRef>();
      for (const [i, ref] of inner.inputs.entries()) subs.set(ref.layer, node.inputs[i]);
      const child = this.makeScope(inner, `${scope.prefix}${layer.name}/`, scope, subs);
      scopes.push(child);
      this.register(child, depth + 1);
    }
    scope.calls.set(layer.name, scopes);
  }

  private registerLayer(scope: Scope, layer: RawLayer): void {
    const fullName = scope.prefix + layer.name;
    let spec = this.specs.get(fullName);
    if (!spec) {
      spec = {
        name: fullName,
        className: layer.className,
        config: layer.config,
        inbound: [],
        weights: layer.weights,
      };
      if (scope.prefix !== '') spec.config = { ...layer.config, name: fullName };
      this.specs.set(fullName, spec);
      this.order.push(spec);
    }
    scope.nodeBase.set(layer.name, spec.inbound.length);
    for (const node of layer.inbound) {
      this.pending.push({ scope, spec, slot: spec.inbound.length, node });
      spec.inbound.push({ inputs: [], kwargs: {} });
    }
  }

  private resolve(scope: Scope, ref: TensorRef, depth: number): TensorRef {
    if (depth > MAX_RESOLVE_DEPTH)
      throw loadError(KerasErrorCode.BadGraph, 'the graph has a reference cycle');
    const layer = scope.byName.get(ref.layer);
    if (!layer) {
      throw loadError(
        KerasErrorCode.BadGraph,
        `a tensor refers to layer '${ref.layer}', which is not in the model`,
      );
    }
    if (layer.className === 'InputLayer' && scope.inputSubs && scope.parent) {
      const sub = scope.inputSubs.get(layer.name);
      if (!sub) throw loadError(KerasErrorCode.BadGraph, `nested input '${layer.name}' is not connected`);
      return this.resolve(scope.parent, sub, depth + 1);
    }
    if (layer.model) {
      const call = scope.calls.get(layer.name)?.[ref.nodeIndex - this.nodeOffset(scope, layer.name)];
      const out = call?.model.outputs[ref.tensorIndex];
      if (!call || !out) {
        throw loadError(
          KerasErrorCode.BadGraph,
          `a tensor refers to output ${ref.tensorIndex} of call ${ref.nodeIndex} of nested model '${layer.name}', which does not exist`,
        );
      }
      return this.resolve(call, out, depth + 1);
    }
    const base = scope.nodeBase.get(layer.name) ?? 0;
    const count = layer.className === 'InputLayer' ? 1 : layer.inbound.length;
    if (ref.nodeIndex < 0 || ref.nodeIndex >= count || ref.tensorIndex < 0) {
      throw loadError(
        KerasErrorCode.BadGraph,
        `a tensor refers to node ${ref.nodeIndex} of layer '${layer.name}', which has ${count} node(s)`,
      );
    }
    return {
      layer: scope.prefix + layer.name,
      nodeIndex: base + ref.nodeIndex,
      tensorIndex: ref.tensorIndex,
    };
  }

  /**
   * Keras 2 / tf.keras count a nested model's own construction node (its Input → output) in node indices,
   * so the first call of a nested model is node 1 there (`kept_nodes = 1` in `get_network_config`);
   * Keras 3 does not. Detected from the references: an index past the last call means the offset is 1.
   */
  private nodeOffset(scope: Scope, name: string): number {
    if (!this.legacyNodeIndices) return 0;
    let byScope = this.offsets.get(scope);
    if (!byScope) {
      byScope = new Map();
      this.offsets.set(scope, byScope);
    }
    const known = byScope.get(name);
    if (known !== undefined) return known;
    const offset = highestNodeIndex(scope.model, name) >= (scope.calls.get(name)?.length ?? 0) ? 1 : 0;
    byScope.set(name, offset);
    return offset;
  }

  private resolveKwargs(scope: Scope, value: unknown): unknown {
    if (isRef(value)) {
      const resolved = this.resolve(scope, value, 0);
      return value.dtype === undefined ? resolved : { ...resolved, dtype: value.dtype };
    }
    if (Array.isArray(value)) return value.map((v) => this.resolveKwargs(scope, v));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.resolveKwargs(scope, v);
      return out;
    }
    return value;
  }
}

/** The highest node index of layer `name` that any reference of `model` (calls and outputs) uses, or -1. */
function highestNodeIndex(model: RawModel, name: string): number {
  let max = -1;
  const visit = (value: unknown): void => {
    if (isRef(value)) {
      if (value.layer === name) max = Math.max(max, value.nodeIndex);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  for (const l of model.layers) for (const node of l.inbound) visit([node.inputs, node.kwargs, node.args]);
  visit(model.outputs);
  return max;
}
