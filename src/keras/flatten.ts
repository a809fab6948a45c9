/**
 * Flatten a {@link RawModel} into the engine's view: nested Sequential/Functional models used as layers
 * are inlined into the parent graph (inner layers renamed `<outer>/<inner>`, their inputs wired to the
 * tensors the outer call consumed, references to their outputs redirected to the inner output layers).
 */
import { KerasErrorCode, loadError } from './errors.js';
import type { InboundNode, LayerSpec, ModelInput, ModelOutput, Shape, TensorRef } from './model.js';
import { isObject } from './normalize.js';
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
  const specs = new Map<string, LayerSpec>();
  const order: LayerSpec[] = [];
  const pending: Pending[] = [];

  const makeScope = (
    model: RawModel,
    prefix: string,
    parent: Scope | null,
    subs: Map<string, TensorRef> | null,
  ) => {
    const byName = new Map<string, RawLayer>();
    for (const l of model.layers) {
      if (byName.has(l.name)) throw loadError(KerasErrorCode.BadGraph, `two layers are named '${l.name}'`);
      byName.set(l.name, l);
    }
    return { prefix, model, parent, inputSubs: subs, byName, nodeBase: new Map(), calls: new Map() } as Scope;
  };

  const register = (scope: Scope, depth: number): void => {
    if (depth > 32) throw loadError(KerasErrorCode.BadGraph, 'models are nested too deeply');
    for (const layer of scope.model.layers) {
      if (layer.className === 'InputLayer' && scope.inputSubs) continue;
      if (layer.model) {
        const inner = layer.model;
        const scopes: Scope[] = [];
        for (const node of layer.inbound) {
          // tf.keras honours a recorded training=True in predict; Keras 3 passes predict's training=False.
          if (legacyNodeIndices && node.kwargs.training === true) {
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
          const child = makeScope(inner, `${scope.prefix}${layer.name}/`, scope, subs);
          scopes.push(child);
          register(child, depth + 1);
        }
        scope.calls.set(layer.name, scopes);
        continue;
      }
      const fullName = scope.prefix + layer.name;
      let spec = specs.get(fullName);
      if (!spec) {
        spec = {
          name: fullName,
          className: layer.className,
          config: layer.config,
          inbound: [],
          weights: layer.weights,
        };
        if (scope.prefix !== '') spec.config = { ...layer.config, name: fullName };
        specs.set(fullName, spec);
        order.push(spec);
      }
      scope.nodeBase.set(layer.name, spec.inbound.length);
      for (const node of layer.inbound) {
        pending.push({ scope, spec, slot: spec.inbound.length, node });
        spec.inbound.push({ inputs: [], kwargs: {} });
      }
    }
  };

  const resolve = (scope: Scope, ref: TensorRef, depth: number): TensorRef => {
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
      return resolve(scope.parent, sub, depth + 1);
    }
    if (layer.model) {
      const call = scope.calls.get(layer.name)?.[ref.nodeIndex - nodeOffset(scope, layer.name)];
      const out = call?.model.outputs[ref.tensorIndex];
      if (!call || !out) {
        throw loadError(
          KerasErrorCode.BadGraph,
          `a tensor refers to output ${ref.tensorIndex} of call ${ref.nodeIndex} of nested model '${layer.name}', which does not exist`,
        );
      }
      return resolve(call, out, depth + 1);
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
  };

  /**
   * Keras 2 / tf.keras count a nested model's own construction node (its Input → output) in node indices,
   * so the first call of a nested model is node 1 there (`kept_nodes = 1` in `get_network_config`);
   * Keras 3 does not. Detected from the references: an index past the last call means the offset is 1.
   */
  const offsets = new Map<Scope, Map<string, number>>();
  const nodeOffset = (scope: Scope, name: string): number => {
    if (!legacyNodeIndices) return 0;
    let byScope = offsets.get(scope);
    if (!byScope) {
      byScope = new Map();
      offsets.set(scope, byScope);
    }
    const known = byScope.get(name);
    if (known !== undefined) return known;
    let max = -1;
    const visit = (value: unknown): void => {
      if (isRef(value)) {
        if (value.layer === name) max = Math.max(max, value.nodeIndex);
      } else if (Array.isArray(value)) value.forEach(visit);
      else if (isObject(value)) Object.values(value).forEach(visit);
    };
    for (const l of scope.model.layers)
      for (const node of l.inbound) visit([node.inputs, node.kwargs, node.args]);
    visit(scope.model.outputs);
    const offset = max >= (scope.calls.get(name)?.length ?? 0) ? 1 : 0;
    byScope.set(name, offset);
    return offset;
  };

  const resolveKwargs = (scope: Scope, value: unknown): unknown => {
    if (isRef(value)) {
      const resolved = resolve(scope, value, 0);
      return value.dtype === undefined ? resolved : { ...resolved, dtype: value.dtype };
    }
    if (Array.isArray(value)) return value.map((v) => resolveKwargs(scope, v));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = resolveKwargs(scope, v);
      return out;
    }
    return value;
  };

  const top = makeScope(root, '', null, null);
  register(top, 0);
  for (const p of pending) {
    p.spec.inbound[p.slot] = {
      inputs: p.node.inputs.map((r) => resolve(p.scope, r, 0)),
      kwargs: resolveKwargs(p.scope, p.node.kwargs) as Record<string, unknown>,
    };
    if (p.node.args) p.spec.inbound[p.slot].args = resolveKwargs(p.scope, p.node.args) as unknown[];
  }
  const inputs: ModelInput[] = root.inputs.map((ref) => {
    const resolved = resolve(top, ref, 0);
    const spec = specs.get(resolved.layer);
    if (spec?.className !== 'InputLayer') {
      throw loadError(KerasErrorCode.BadGraph, `model input '${ref.layer}' is not an InputLayer`);
    }
    const dtype = typeof spec.config.dtype === 'string' ? spec.config.dtype : 'float32';
    return { name: spec.name, shape: inputShape(spec.config.batch_input_shape, spec.name), dtype };
  });
  const outputs: ModelOutput[] = root.outputs.map((ref) => {
    const resolved = resolve(top, ref, 0);
    return { name: resolved.layer, ref: resolved };
  });
  return { layers: order, inputs, outputs };
}
