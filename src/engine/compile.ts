import {
  type InboundNode,
  isOpClass,
  type LayerSpec,
  type ModelDescription,
  type Shape,
  type TensorRef,
} from '../keras/model.js';
import { EngineError, errorMessage } from '../util/errors.js';
import { checkLayerCall } from './call-check.js';
import { fusePadsIntoConvs } from './onnx/fuse-pads.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { hoistInputTransposes } from './onnx/hoist-transposes.js';
import { poolBeforePointwiseConvs } from './onnx/pool-before-conv.js';
import { convertOpCall, opClassOf } from './ops/convert.js';
import { opConverterFor } from './ops/registry.js';
import './layers/index.js';
import { keywordTensorRefs } from './layers/keyword-inputs.js';
import { converterFor, type LayerContext, type LayerResult, type Sym } from './layers/registry.js';

/** An ONNX model in memory with the names of its graph inputs and outputs, in model order. */
export interface CompiledModel {
  bytes: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  outputShapes: Shape[];
  /** Each layer's output shapes (first call), for `inspect`. */
  layerShapes: Map<string, Shape[]>;
}

interface Produced {
  sym: Sym;
  mask: Sym | null;
}

const refKey = (ref: TensorRef) => `${ref.layer}:${ref.nodeIndex}:${ref.tensorIndex}`;

/** ONNX dims for a Keras shape: the batch axis and open axes become named symbols. */
export function onnxDims(shape: Shape, prefix: string): (number | string)[] {
  return shape.map((d, i) => (i === 0 ? 'batch' : d === null ? `${prefix}_d${i}` : d));
}

const isRef = (v: unknown): v is TensorRef =>
  typeof v === 'object' && v !== null && typeof (v as TensorRef).layer === 'string' && 'nodeIndex' in v;

/** Tensors passed as `initial_state=` keyword: RNN converters take them as extra inputs after the sequence. */
function keywordStates(kwargs: Record<string, unknown>): TensorRef[] {
  const states = kwargs.initial_state;
  if (isRef(states)) return [states];
  return Array.isArray(states) ? states.filter(isRef) : [];
}

/** The tensors a call consumes besides its positional inputs: `initial_state=`, then its converter's tensor keywords. */
function keywordInputs(layer: LayerSpec, kwargs: Record<string, unknown>): TensorRef[] {
  return [
    ...keywordStates(kwargs),
    ...keywordTensorRefs(kwargs, converterFor(layer.className)?.tensorKwargs ?? []),
  ];
}

/**
 * Layers no model output depends on. Keras 3 functional configs record the ops that computed a mask
 * (`NotEqual(ids, 0)` for `mask_zero`, `LogicalOr` of masks after a merge) and pass them as `mask=` keywords;
 * the compiler propagates the same masks itself, so those op layers are never compiled.
 */
export function unusedLayers(model: ModelDescription): Set<string> {
  // Walk back from the outputs, so ops that only feed unused ops (`LogicalOr(NotEqual(ids, 0), ...)`) drop too.
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const used = new Set<string>();
  const pending = model.outputs.map((o) => o.ref.layer);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name)) continue;
    used.add(name);
    const layer = byName.get(name);
    if (!layer) continue;
    for (const node of layer.inbound) {
      for (const ref of [...node.inputs, ...keywordInputs(layer, node.kwargs)]) pending.push(ref.layer);
    }
  }
  return new Set(
    model.layers.filter((l) => !used.has(l.name) && l.className !== 'InputLayer').map((l) => l.name),
  );
}

/** Layer classes the ONNX compiler cannot handle in this model, with the reason. */
export function unsupportedLayers(
  model: ModelDescription,
): { layer: string; className: string; reason: string }[] {
  const missing: { layer: string; className: string; reason: string }[] = [];
  const visit = (layer: LayerSpec) => {
    if (isOpClass(layer.className)) {
      if (!opConverterFor(opClassOf(layer))) {
        missing.push({
          layer: layer.name,
          className: layer.className,
          reason: 'no ONNX converter for this op',
        });
      }
      return;
    }
    if (!converterFor(layer.className)) {
      missing.push({
        layer: layer.name,
        className: layer.className,
        reason: 'no ONNX converter for this layer class',
      });
    }
    const inner = layer.config.layer as { class_name?: string; config?: Record<string, unknown> } | undefined;
    if (inner && typeof inner === 'object' && typeof inner.class_name === 'string') {
      visit({
        name: `${layer.name}/${String(inner.config?.name ?? 'inner')}`,
        className: inner.class_name,
        config: inner.config ?? {},
        inbound: [],
        weights: [],
      });
    }
  };
  const unused = unusedLayers(model);
  for (const layer of model.layers) if (!unused.has(layer.name)) visit(layer);
  return missing;
}

function convert(
  g: GraphBuilder,
  model: ModelDescription,
  layer: LayerSpec,
  inputs: Sym[],
  masks: (Sym | null)[],
  node: InboundNode,
): LayerResult {
  const converter = converterFor(layer.className);
  if (!converter) {
    throw new EngineError(
      'ENGINE_UNSUPPORTED',
      `layer ${layer.name} (${layer.className}) is not supported by the ONNX engine`,
    );
  }
  checkLayerCall(layer, converter, node, masks, model.kerasMajor);
  const kwargs = node.kwargs;
  const ctx: LayerContext = {
    g,
    layer,
    model,
    inputs,
    masks,
    kwargs,
    convertNested: (nested, nestedInputs, nestedMasks) =>
      convert(g, model, nested, nestedInputs, nestedMasks, { inputs: [], kwargs: {} }),
  };
  try {
    return converter.convert(ctx);
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError(
      'ENGINE_COMPILE_FAILED',
      `layer ${layer.name} (${layer.className}): ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** Every tensor reference a call's keyword arguments hold, at any depth. */
function kwargRefs(value: unknown): TensorRef[] {
  if (typeof value !== 'object' || value === null) return [];
  const ref = value as Partial<TensorRef>;
  if (typeof ref.layer === 'string' && typeof ref.nodeIndex === 'number') return [value as TensorRef];
  return Object.values(value).flatMap(kwargRefs);
}

/**
 * The calls of the layers in the order to compile them: config order, except that a call whose inputs are not
 * computed yet waits for them (a shared layer's later call can read a layer listed after it: a tied
 * ReversibleEmbedding's `reverse=True` call on the last block's output). Calls that never become ready stay in
 * config order, so their missing input is reported as before.
 */
function* callOrder(
  layers: LayerSpec[],
  ready: (ref: TensorRef) => boolean,
): Generator<{ layer: LayerSpec; node: InboundNode; nodeIndex: number }> {
  let pending = layers.flatMap((layer) =>
    layer.inbound.map((node, nodeIndex) => ({ layer, node, nodeIndex })),
  );
  while (pending.length > 0) {
    const i = pending.findIndex(({ node }) => [...node.inputs, ...kwargRefs(node.kwargs)].every(ready));
    const next = pending[Math.max(i, 0)]; // none ready: the first, to report its missing input
    pending = pending.filter((c) => c !== next);
    yield next;
  }
}

/** Compiles a model description to an in-memory ONNX model, keeping Keras' tensor layouts at every layer boundary. */
export function compileToOnnx(model: ModelDescription): CompiledModel {
  const g = new GraphBuilder();
  const produced = new Map<string, Produced>();
  const inputNames: string[] = [];
  const inputLayers = new Set(model.inputs.map((i) => i.name));
  const layerShapes = new Map<string, Shape[]>();
  model.inputs.forEach((input) => {
    layerShapes.set(input.name, [input.shape]);
  });

  model.inputs.forEach((input, i) => {
    const name = g.addInput(`input_${i}`, onnxDims(input.shape, `input_${i}`));
    inputNames.push(name);
    produced.set(refKey({ layer: input.name, nodeIndex: 0, tensorIndex: 0 }), {
      sym: { name, shape: input.shape },
      mask: null,
    });
  });

  const unused = unusedLayers(model);
  const calls = model.layers.filter(
    (layer) =>
      layer.className !== 'InputLayer' &&
      !(inputLayers.has(layer.name) && layer.inbound.length === 0) &&
      !unused.has(layer.name),
  );
  for (const { layer, node, nodeIndex } of callOrder(calls, (ref) => produced.has(refKey(ref)))) {
    const lookup = (ref: TensorRef): Produced => {
      const found = produced.get(refKey(ref));
      if (!found) {
        throw new EngineError(
          'ENGINE_BAD_GRAPH',
          `layer ${layer.name} uses ${ref.layer}[${ref.nodeIndex}][${ref.tensorIndex}], which is not computed before it`,
        );
      }
      return found;
    };
    {
      let ins: Produced[] = [];
      let result: LayerResult;
      if (isOpClass(layer.className)) {
        const outputs = convertOpCall(g, model, layer, node, (ref) => lookup(ref).sym);
        result = { outputs, masks: outputs.map(() => null) };
      } else {
        ins = [...node.inputs, ...keywordInputs(layer, node.kwargs)].map(lookup);
        result = convert(
          g,
          model,
          layer,
          ins.map((p) => p.sym),
          ins.map((p) => p.mask),
          node,
        );
      }
      if (nodeIndex === 0)
        layerShapes.set(
          layer.name,
          result.outputs.map((o) => o.shape),
        );
      result.outputs.forEach((sym, t) => {
        const mask = result.masks ? (result.masks[t] ?? null) : (ins[0]?.mask ?? null);
        produced.set(refKey({ layer: layer.name, nodeIndex, tensorIndex: t }), { sym, mask });
      });
    }
  }

  const outputShapes: Shape[] = [];
  model.outputs.forEach((output, i) => {
    const found = produced.get(refKey(output.ref));
    if (!found) throw new EngineError('ENGINE_BAD_GRAPH', `model output ${output.name} is never computed`);
    g.addOutput(`output_${i}`, found.sym.name, onnxDims(found.sym.shape, `output_${i}`));
    outputShapes.push(found.sym.shape);
  });

  g.rewrite(fusePadsIntoConvs);
  g.rewrite(poolBeforePointwiseConvs);
  g.rewrite(hoistInputTransposes);
  return {
    bytes: g.buildModel(model.name || 'keras_model'),
    inputNames,
    outputNames: g.outputNames,
    outputShapes,
    layerShapes,
  };
}
