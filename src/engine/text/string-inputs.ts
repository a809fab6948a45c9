/**
 * Models with string inputs: every layer that consumes a string input must be a StringLookup or a
 * TextVectorization called once on it; those run on the host ({@link stringLayer}) and their outputs become
 * numeric inputs of the compiled graph. A string layer anywhere else reaches the compiler and is refused there.
 */
import type { LayerSpec, ModelDescription, ModelInput, TensorRef } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import { type InputTensor, isStringTensor, type Tensor, type TensorSpec } from '../types.js';
import { STRING_LAYER_CLASSES, type StringLayer, stringLayer } from './string-layers.js';

/** Keras dtypes of string inputs. */
export const isStringDtype = (dtype: string): boolean => dtype === 'string' || dtype === 'str';

/** How one model input reaches the compiled graph: as it is, or through host string layers. */
type Feed = { kind: 'numeric' } | { kind: 'strings'; layers: StringLayer[] };

export interface StringInputPlan {
  /** The model the compiler sees: string inputs replaced by the outputs of their string layers. */
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

/** Splits the host string layers off a model; a model without string inputs passes through unchanged. */
export function planStringInputs(model: ModelDescription): StringInputPlan {
  const stringInputs = new Set(model.inputs.filter((i) => isStringDtype(i.dtype)).map((i) => i.name));
  if (stringInputs.size === 0) {
    return {
      compiled: model,
      inputs: model.inputs.map((i) => ({ name: i.name, shape: i.shape })),
      feeds: (inputs) => inputs.map((t) => numeric(t, '')),
    };
  }
  const consumers = new Map<string, StringLayer[]>();
  const hosted = new Map<string, LayerSpec>();
  for (const layer of model.layers) {
    const refs = refsOf(layer).filter((r) => stringInputs.has(r.layer));
    if (refs.length === 0) continue;
    const input = refs[0].layer;
    if (!STRING_LAYER_CLASSES.has(layer.className))
      refused(
        `layer ${layer.name} (${layer.className}) takes the string input ${input}; only StringLookup and TextVectorization can take strings`,
      );
    if (layer.inbound.length !== 1 || layer.inbound[0].inputs.length !== 1 || refsOf(layer).length !== 1)
      refused(
        `layer ${layer.name} (${layer.className}) on the string input ${input}: a string layer called more than once or on several tensors is not supported`,
      );
    const list = consumers.get(input) ?? [];
    list.push(stringLayer(layer));
    consumers.set(input, list);
    hosted.set(layer.name, layer);
  }
  for (const out of model.outputs) {
    if (stringInputs.has(out.ref.layer)) refused(`the string input ${out.ref.layer} is a model output`);
  }
  const compiledInputs: ModelInput[] = [];
  const feeds: Feed[] = model.inputs.map((input) => {
    if (!stringInputs.has(input.name)) {
      compiledInputs.push(input);
      return { kind: 'numeric' };
    }
    const layers = consumers.get(input.name) ?? [];
    for (const s of layers) {
      compiledInputs.push({ name: s.layer.name, shape: s.outputShape(input.shape), dtype: 'float32' });
    }
    return { kind: 'strings', layers };
  });
  const layers = model.layers.map((l) =>
    hosted.has(l.name) ? { name: l.name, className: 'InputLayer', config: {}, inbound: [], weights: [] } : l,
  );
  return {
    compiled: { ...model, layers, inputs: compiledInputs },
    inputs: model.inputs.map((i) =>
      stringInputs.has(i.name)
        ? { name: i.name, shape: i.shape, dtype: 'string' as const }
        : { name: i.name, shape: i.shape },
    ),
    feeds(inputs) {
      const out: Tensor[] = [];
      inputs.forEach((t, i) => {
        const feed = feeds[i];
        if (feed === undefined || feed.kind === 'numeric') {
          out.push(numeric(t, model.inputs[i]?.name ?? ''));
          return;
        }
        if (!isStringTensor(t))
          throw new EngineError(
            'ENGINE_BAD_INPUT',
            `input ${model.inputs[i].name} takes strings, got numbers`,
          );
        for (const s of feed.layers) out.push(s.run(t.strings, t.dims));
      });
      return out;
    },
  };
}

function numeric(t: InputTensor, name: string): Tensor {
  if (isStringTensor(t))
    throw new EngineError('ENGINE_BAD_INPUT', `input ${name || '0'} takes numbers, got strings`);
  return t;
}
