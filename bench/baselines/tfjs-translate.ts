/**
 * Builds the same network in TF.js layers from a {@link ModelDescription}, for the TF.js baseline: the layer
 * kinds of the benchmark's models (InputLayer, Conv2D, MaxPooling2D, Flatten, Dropout, Dense, LSTM, and
 * Activation), with the description's weights (`get_weights()` order is also TF.js' `setWeights` order).
 */

import type * as tfTypes from '@tensorflow/tfjs';
import type { LayerConfig, LayerSpec, ModelDescription } from '../../src/keras/model.js';

type Tf = typeof tfTypes;
type SymbolicTensor = tfTypes.SymbolicTensor;
type Activation = NonNullable<Parameters<Tf['layers']['dense']>[0]['activation']>;

const ACTIVATIONS: Record<string, Activation> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  gelu: 'gelu',
};

export class TranslateError extends Error {}

/** Initializers for layers whose weights are set right after (TF.js' orthogonal one is slow, and warns). */
const ZEROS = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;

function activation(model: ModelDescription, layer: LayerSpec, key: string): Activation {
  const name = layer.config[key] ?? 'linear';
  if (name === 'hard_sigmoid' && model.kerasMajor < 3) return 'hardSigmoid';
  const mapped = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  if (!mapped) throw new TranslateError(`${layer.name}: activation ${JSON.stringify(name)} not translated`);
  return mapped;
}

const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];

function dataFormat(config: LayerConfig): 'channelsLast' | 'channelsFirst' {
  return config.data_format === 'channels_first' ? 'channelsFirst' : 'channelsLast';
}

function padding(layer: LayerSpec): 'valid' | 'same' {
  const p = layer.config.padding ?? 'valid';
  if (p !== 'valid' && p !== 'same')
    throw new TranslateError(`${layer.name}: padding ${String(p)} not translated`);
  return p;
}

function makeLayer(tf: Tf, model: ModelDescription, layer: LayerSpec): tfTypes.layers.Layer {
  const c = layer.config;
  const name = layer.name;
  switch (layer.className) {
    case 'Dense':
      return tf.layers.dense({
        name,
        ...ZEROS,
        units: Number(c.units),
        activation: activation(model, layer, 'activation'),
        useBias: c.use_bias !== false,
      });
    case 'Conv2D':
      if (Number(c.groups ?? 1) !== 1) throw new TranslateError(`${name}: grouped Conv2D not translated`);
      return tf.layers.conv2d({
        name,
        ...ZEROS,
        filters: Number(c.filters),
        kernelSize: pair(c.kernel_size),
        strides: pair(c.strides ?? 1),
        padding: padding(layer),
        dataFormat: dataFormat(c),
        dilationRate: pair(c.dilation_rate ?? 1),
        activation: activation(model, layer, 'activation'),
        useBias: c.use_bias !== false,
      });
    case 'MaxPooling2D':
      return tf.layers.maxPooling2d({
        name,
        poolSize: pair(c.pool_size ?? 2),
        strides: pair(c.strides ?? c.pool_size ?? 2),
        padding: padding(layer),
        dataFormat: dataFormat(c),
      });
    case 'Flatten':
      return tf.layers.flatten({ name, dataFormat: dataFormat(c) });
    case 'Dropout':
      return tf.layers.dropout({ name, rate: Number(c.rate ?? 0) });
    case 'Activation':
      return tf.layers.activation({ name, activation: activation(model, layer, 'activation') });
    case 'LSTM':
      if (c.return_state || c.stateful)
        throw new TranslateError(`${name}: stateful/return_state LSTM not translated`);
      return tf.layers.lstm({
        name,
        ...ZEROS,
        recurrentInitializer: 'zeros',
        units: Number(c.units),
        activation: activation(model, layer, 'activation'),
        recurrentActivation: activation(model, layer, 'recurrent_activation'),
        useBias: c.use_bias !== false,
        returnSequences: Boolean(c.return_sequences),
        goBackwards: Boolean(c.go_backwards),
      });
    default:
      throw new TranslateError(`${name}: layer ${layer.className} not translated to TF.js`);
  }
}

/** The TF.js model of `model`, weights set. Throws {@link TranslateError} for what it does not cover. */
export function toTfjsModel(tf: Tf, model: ModelDescription): tfTypes.LayersModel {
  const tensors = new Map<string, SymbolicTensor>();
  const inputs = model.inputs.map((input) => {
    const t = tf.input({ shape: input.shape.slice(1), name: `${input.name}_in` });
    tensors.set(input.name, t);
    return t;
  });
  const built: { layer: tfTypes.layers.Layer; spec: LayerSpec }[] = [];
  for (const spec of model.layers) {
    if (spec.className === 'InputLayer') continue;
    if (spec.inbound.length > 1) throw new TranslateError(`${spec.name}: a shared layer is not translated`);
    const refs = spec.inbound[0]?.inputs ?? [{ layer: spec.name, nodeIndex: 0, tensorIndex: 0 }];
    const args = refs.map((ref) => {
      const t = tensors.get(ref.layer);
      if (!t || ref.tensorIndex !== 0)
        throw new TranslateError(`${spec.name}: input ${ref.layer} not translated`);
      return t;
    });
    const layer = makeLayer(tf, model, spec);
    tensors.set(spec.name, layer.apply(args.length === 1 ? args[0] : args) as SymbolicTensor);
    built.push({ layer, spec });
  }
  const outputs = model.outputs.map((o) => {
    const t = tensors.get(o.ref.layer);
    if (!t) throw new TranslateError(`output ${o.ref.layer} not found`);
    return t;
  });
  const tfModel = tf.model({ inputs, outputs, name: 'bench' });
  for (const { layer, spec } of built) {
    if (spec.weights.length === 0) continue;
    layer.setWeights(spec.weights.map((w) => tf.tensor(w.data, w.shape, 'float32')));
  }
  return tfModel;
}
