/**
 * Layers the host runs on model inputs, split off before compiling: a StringLookup or TextVectorization called
 * once on a string input, a Hashing called once on a model input (string or numeric), a HashedCrossing called
 * once on model inputs only. Their outputs become numeric inputs of the compiled graph. Any other layer on a
 * string input is refused here; a host layer class anywhere else reaches the compiler and is refused there.
 */
import type { LayerSpec, ModelDescription, ModelInput, TensorRef } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import { type InputTensor, isStringTensor, type Tensor, type TensorSpec } from '../types.js';
import { HASH_LAYER_CLASSES, hashedCrossingLayer, hashingLayer } from './hash-layers.js';
import type { HostLayer } from './host-layer.js';
import { STRING_LAYER_CLASSES, stringLayer } from './string-layers.js';

/** Keras dtypes of string inputs. */
export const isStringDtype = (dtype: string): boolean => dtype === 'string' || dtype === 'str';

/** One input of the compiled graph: a model input as given, or a host layer's output. */
type Feed = { kind: 'input'; index: number } | { kind: 'host'; host: HostLayer; indices: number[] };

export interface StringInputPlan {
  /** The model the compiler sees: host layers replaced by inputs of their output shapes. */
  compiled: ModelDescription;
  /** The engine's inputs as the user gives them (string inputs with `dtype: 'string'`). */
  inputs: TensorSpec[];
  /** The compiled graph's inputs, in order, from the user's inputs. */
  feeds(inputs: InputTensor[]): Tensor[];
}

function refsOf(layer: LayerSpec): TensorRef[] {
  const refs: TensorRef[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) {
      if (typeof (v as TensorRef).layer === 'string' && 'nodeIndex' in v) refs.push(v as TensorRef);
      else Object.values(v).forEach(visit);
    }
  };
  for (const node of layer.inbound) {
    refs.push(...node.inputs);
    visit(node.kwargs);
  }
  return refs;
}

const refused = (message: string): never => {
  throw new EngineError('ENGINE_UNSUPPORTED', message);
};

function stringHost(layer: LayerSpec, input: string): HostLayer {
  const s = stringLayer(layer);
  return {
    layer,
    inputs: [input],
    outputShape: ([shape]) => s.outputShape(shape),
    run: ([t]) => (isStringTensor(t) ? s.run(t.strings, t.dims) : refused(`input ${input} takes strings`)),
  };
}

/** The host layer `layer` is, if it is one; refuses a layer on a string input the host cannot run. */
function hostLayerOf(
  layer: LayerSpec,
  modelInputs: ReadonlyMap<string, ModelInput>,
  stringInputs: ReadonlySet<string>,
): HostLayer | null {
  const refs = refsOf(layer);
  const stringInput = refs.find((r) => stringInputs.has(r.layer))?.layer;
  const calledOnce = layer.inbound.length === 1 && refs.length === layer.inbound[0].inputs.length;
  const what = `layer ${layer.name} (${layer.className})`;
  if (HASH_LAYER_CLASSES.has(layer.className)) {
    const inputs = refs.map((r) => modelInputs.get(r.layer));
    const direct = calledOnce && inputs.every((i) => i !== undefined);
    if (direct && layer.className === 'Hashing' && inputs.length === 1)
      return hashingLayer(layer, inputs[0] as ModelInput);
    if (direct && layer.className === 'HashedCrossing' && inputs.length >= 2)
      return hashedCrossingLayer(layer, inputs as ModelInput[]);
    if (stringInput !== undefined)
      refused(
        `${what} on the string input ${stringInput}: it runs only when called once directly on model inputs`,
      );
    return null;
  }
  if (stringInput === undefined) return null;
  if (!STRING_LAYER_CLASSES.has(layer.className))
    refused(
      `${what} takes the string input ${stringInput}; only StringLookup and TextVectorization can take strings, and Hashing and HashedCrossing hash them`,
    );
  if (!calledOnce || refs.length !== 1)
    refused(
      `${what} on the string input ${stringInput}: a string layer called more than once or on several tensors is not supported`,
    );
  return stringHost(layer, stringInput);
}

/** Splits the host layers off a model; a model without any passes through unchanged. */
export function planStringInputs(model: ModelDescription): StringInputPlan {
  const modelInputs = new Map(model.inputs.map((i) => [i.name, i]));
  const stringInputs = new Set(model.inputs.filter((i) => isStringDtype(i.dtype)).map((i) => i.name));
  const hosts: HostLayer[] = [];
  for (const layer of model.layers) {
    const host = refsOf(layer).some((r) => modelInputs.has(r.layer))
      ? hostLayerOf(layer, modelInputs, stringInputs)
      : null;
    if (host) hosts.push(host);
  }
  for (const out of model.outputs) {
    if (stringInputs.has(out.ref.layer)) refused(`the string input ${out.ref.layer} is a model output`);
  }
  const specs: TensorSpec[] = model.inputs.map((i) =>
    stringInputs.has(i.name)
      ? { name: i.name, shape: i.shape, dtype: 'string' as const }
      : { name: i.name, shape: i.shape },
  );
  if (hosts.length === 0 && stringInputs.size === 0) {
    return { compiled: model, inputs: specs, feeds: (inputs) => inputs.map((t) => numeric(t, '')) };
  }
  const hosted = new Set(hosts.map((h) => h.layer.name));
  // numeric inputs that something compiled still reads (or that are outputs, or read by nothing at all)
  const readByHostOnly = new Set(hosts.flatMap((h) => h.inputs));
  for (const layer of model.layers) {
    if (!hosted.has(layer.name)) for (const r of refsOf(layer)) readByHostOnly.delete(r.layer);
  }
  for (const out of model.outputs) readByHostOnly.delete(out.ref.layer);
  const index = new Map(model.inputs.map((input, i) => [input.name, i]));
  const compiledInputs: ModelInput[] = [];
  const feeds: Feed[] = [];
  model.inputs.forEach((input, i) => {
    if (!stringInputs.has(input.name) && !readByHostOnly.has(input.name)) {
      compiledInputs.push(input);
      feeds.push({ kind: 'input', index: i });
    }
    for (const host of hosts.filter((h) => h.inputs[0] === input.name)) {
      const shapes = host.inputs.map((name) => (modelInputs.get(name) as ModelInput).shape);
      compiledInputs.push({ name: host.layer.name, shape: host.outputShape(shapes), dtype: 'float32' });
      feeds.push({ kind: 'host', host, indices: host.inputs.map((name) => index.get(name) as number) });
    }
  });
  const layers = model.layers.map((l) =>
    hosted.has(l.name) ? { name: l.name, className: 'InputLayer', config: {}, inbound: [], weights: [] } : l,
  );
  return {
    compiled: { ...model, layers, inputs: compiledInputs },
    inputs: specs,
    feeds(inputs) {
      inputs.forEach((t, i) => {
        const name = model.inputs[i]?.name ?? String(i);
        if (!stringInputs.has(name)) numeric(t, name);
        else if (!isStringTensor(t))
          throw new EngineError('ENGINE_BAD_INPUT', `input ${name} takes strings, got numbers`);
      });
      return feeds.map((feed) =>
        feed.kind === 'input'
          ? numeric(inputs[feed.index], model.inputs[feed.index].name)
          : feed.host.run(feed.indices.map((i) => inputs[i])),
      );
    },
  };
}

function numeric(t: InputTensor, name: string): Tensor {
  if (isStringTensor(t))
    throw new EngineError('ENGINE_BAD_INPUT', `input ${name || '0'} takes numbers, got strings`);
  return t;
}
