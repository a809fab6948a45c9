/**
 * Layers the host runs on model inputs, split off before compiling: a StringLookup or TextVectorization called
 * once on a string input, a Hashing called once on a model input (string or numeric), a HashedCrossing called
 * once on model inputs only. Their outputs become numeric inputs of the compiled graph. Any other layer on a
 * string input is refused here; a host layer class anywhere else reaches the compiler and is refused there.
 */
import type { LayerSpec, ModelDescription, ModelInput, Shape, TensorRef } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import { type InputTensor, isStringTensor, type Tensor, type TensorSpec } from '../types.js';
import { HASH_LAYER_CLASSES, hashedCrossingLayer, hashingLayer } from './hash-layers.js';
import type { HostLayer } from './host-layer.js';
import { STRING_LAYER_CLASSES, stringLayer } from './string-layers.js';

/** Keras dtypes of string inputs. */
export const isStringDtype = (dtype: string): boolean => dtype === 'string' || dtype === 'str';

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

/**
 * The host layer `layer` is, if it is one; refuses a layer on a string input the host cannot run. `sources` are
 * what host layers can read: the model inputs, and the `int` outputs of host layers before it.
 */
function hostLayerOf(
  layer: LayerSpec,
  sources: ReadonlyMap<string, ModelInput>,
  stringInputs: ReadonlySet<string>,
): HostLayer | null {
  const refs = refsOf(layer);
  const stringInput = refs.find((r) => stringInputs.has(r.layer))?.layer;
  const calledOnce = layer.inbound.length === 1 && refs.length === layer.inbound[0].inputs.length;
  const what = `layer ${layer.name} (${layer.className})`;
  if (HASH_LAYER_CLASSES.has(layer.className)) {
    const inputs = refs.map((r) =>
      r.nodeIndex === 0 && r.tensorIndex === 0 ? sources.get(r.layer) : undefined,
    );
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

interface PlannedHost {
  host: HostLayer;
  shape: Shape;
}

/** The host layers of a model, in order, each with its output shape. */
function hostLayers(model: ModelDescription, stringInputs: ReadonlySet<string>): PlannedHost[] {
  const sources = new Map(model.inputs.map((i) => [i.name, i]));
  const hosts: PlannedHost[] = [];
  for (const layer of model.layers) {
    if (!refsOf(layer).some((r) => sources.has(r.layer))) continue;
    const host = hostLayerOf(layer, sources, stringInputs);
    if (!host) continue;
    const shape = host.outputShape(host.inputs.map((name) => (sources.get(name) as ModelInput).shape));
    hosts.push({ host, shape });
    // its integer output can feed another host layer (FeatureSpace crosses hashed or looked-up features)
    if ((layer.config.output_mode ?? 'int') === 'int')
      sources.set(layer.name, { name: layer.name, shape, dtype: 'int64' });
  }
  return hosts;
}

/** Splits the host layers off a model; a model without any passes through unchanged. */
export function planStringInputs(model: ModelDescription): StringInputPlan {
  const stringInputs = new Set(model.inputs.filter((i) => isStringDtype(i.dtype)).map((i) => i.name));
  const hosts = hostLayers(model, stringInputs);
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
  const hosted = new Set(hosts.map((h) => h.host.layer.name));
  // what the compiled graph takes: numeric inputs and host outputs that a compiled layer reads, that are model
  // outputs, or that nothing reads at all (never string inputs, nor what only host layers read)
  const readByHostOnly = new Set([...stringInputs, ...hosts.flatMap((h) => h.host.inputs)]);
  for (const layer of model.layers) {
    if (!hosted.has(layer.name)) for (const r of refsOf(layer)) readByHostOnly.delete(r.layer);
  }
  for (const out of model.outputs) readByHostOnly.delete(out.ref.layer);
  const compiledInputs: ModelInput[] = [];
  const placed = new Set<string>();
  const place = (input: ModelInput) => {
    placed.add(input.name);
    if (!readByHostOnly.has(input.name)) compiledInputs.push(input);
  };
  const placeHost = ({ host, shape }: PlannedHost) =>
    place({ name: host.layer.name, shape, dtype: 'float32' });
  for (const input of model.inputs) {
    place(input);
    for (const h of hosts) if (h.host.inputs[0] === input.name) placeHost(h);
  }
  for (const h of hosts) if (!placed.has(h.host.layer.name)) placeHost(h);
  const layers = model.layers.map((l) =>
    hosted.has(l.name) ? { name: l.name, className: 'InputLayer', config: {}, inbound: [], weights: [] } : l,
  );
  return {
    compiled: { ...model, layers, inputs: compiledInputs },
    inputs: specs,
    feeds(inputs) {
      const values = new Map<string, InputTensor>();
      inputs.forEach((t, i) => {
        const name = model.inputs[i]?.name ?? String(i);
        if (!stringInputs.has(name)) numeric(t, name);
        else if (!isStringTensor(t))
          throw new EngineError('ENGINE_BAD_INPUT', `input ${name} takes strings, got numbers`);
        values.set(name, t);
      });
      for (const { host } of hosts)
        values.set(host.layer.name, host.run(host.inputs.map((name) => values.get(name) as InputTensor)));
      return compiledInputs.map((input) => numeric(values.get(input.name) as InputTensor, input.name));
    },
  };
}

function numeric(t: InputTensor, name: string): Tensor {
  if (isStringTensor(t))
    throw new EngineError('ENGINE_BAD_INPUT', `input ${name || '0'} takes numbers, got strings`);
  return t;
}
