import type { Shape } from '../../keras/model.js';
import { activationName, applyActivationShaped } from './activations.js';
import { requireWeights } from './config.js';
import { product, toChannelsLast } from './layout.js';
import { registerLayer } from './registry.js';

/** Model inputs are bound by the compiler; an InputLayer itself emits nothing. */
registerLayer('InputLayer', ({ inputs }) => ({ outputs: inputs }));

/** Dense on any rank: applies to the last axis only (keras/src/layers/core/dense.py). */
registerLayer('Dense', ({ g, layer, inputs, model, config: cfg }) => {
  const x = inputs[0];
  const useBias = cfg.bool('use_bias', true);
  requireWeights(layer, useBias ? 2 : 1);
  const [kernel, bias] = layer.weights;
  const units = kernel.shape[1];
  const w = g.constFloat(`${layer.name}_kernel`, kernel.shape, kernel.data);
  let y: string;
  if (x.shape.length === 2 && useBias) {
    y = g.op('Gemm', [x.name, w, g.constFloat(`${layer.name}_bias`, bias.shape, bias.data)]);
  } else {
    y = g.op('MatMul', [x.name, w]);
    if (useBias) y = g.op('Add', [y, g.constFloat(`${layer.name}_bias`, bias.shape, bias.data)]);
  }
  const shape: Shape = [...x.shape.slice(0, -1), units];
  return {
    outputs: [
      applyActivationShaped(g, activationName(cfg.raw('activation')), { name: y, shape }, model.kerasMajor),
    ],
  };
});

registerLayer('Activation', ({ g, inputs, model, config }) => {
  const name = activationName(config.raw('activation'));
  return { outputs: [applyActivationShaped(g, name, inputs[0], model.kerasMajor)] };
});

/** Training-only layers are the identity at inference. */
registerLayer(
  [
    'Dropout',
    'SpatialDropout1D',
    'SpatialDropout2D',
    'SpatialDropout3D',
    'GaussianNoise',
    'GaussianDropout',
    'AlphaDropout',
    'ActivityRegularization',
  ],
  ({ inputs }) => ({ outputs: [inputs[0]] }),
  { identityAtInference: true },
);

/**
 * Flatten keeps the stored order, except that a Flatten whose own `data_format` is `channels_first` first moves
 * channels last (keras/src/layers/reshaping/flatten.py), to keep weight order across data formats.
 */
registerLayer('Flatten', ({ g, inputs, config }) => {
  let x = inputs[0];
  if (x.shape.length <= 2) return { outputs: [x] };
  if (x.shape.length >= 3 && config.channelsFirst()) x = toChannelsLast(g, x);
  const size = product(x.shape.slice(1));
  return { outputs: [{ name: g.op('Flatten', [x.name], { axis: { i: 1 } }), shape: [x.shape[0], size] }] };
});
