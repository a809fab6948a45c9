import type { PoolingConfig } from '../../keras/layer-classes/pooling.js';
import { unsupported } from './config.js';
import { explicitPads, outputSize, type Padding, toChannelsFirst, toChannelsLast } from './layout.js';
import { registerLayer, type TypedLayerContext } from './registry.js';

/**
 * Max/AveragePooling1D/2D/3D. Average pooling with `same` excludes the padding from the divisor, as TF does
 * (ONNX `count_include_pad=0`); max pooling pads with -inf.
 */
function poolLayer(rank: number, op: 'MaxPool' | 'AveragePool') {
  return ({ g, layer, inputs, config: cfg }: TypedLayerContext<PoolingConfig>) => {
    const pool = cfg.tuple('pool_size', rank, Array(rank).fill(2));
    const strides = cfg.has('strides') ? cfg.tuple('strides', rank) : pool;
    const padding = cfg.string('padding', 'valid').toLowerCase();
    if (padding !== 'valid' && padding !== 'same') unsupported(layer, `padding "${padding}"`);
    const channelsFirst = cfg.channelsFirst();
    const x = channelsFirst ? inputs[0] : toChannelsFirst(g, inputs[0]);
    const spatial = x.shape.slice(2);
    const ones = Array(rank).fill(1);
    const pads = explicitPads(spatial, pool, strides, ones, padding as Padding);
    const attrs = {
      kernel_shape: { ints: pool },
      strides: { ints: strides },
      ...(pads ? { pads: { ints: pads } } : { auto_pad: { s: 'SAME_UPPER' } }),
      ...(op === 'AveragePool' ? { count_include_pad: { i: 0 } } : {}),
    };
    const outSpatial = spatial.map((s, i) => outputSize(s, pool[i], strides[i], 1, padding as Padding));
    const y = { name: g.op(op, [x.name], attrs), shape: [x.shape[0], x.shape[1], ...outSpatial] };
    return { outputs: [channelsFirst ? y : toChannelsLast(g, y)] };
  };
}

for (const [rank, suffix] of [
  [1, '1D'],
  [2, '2D'],
  [3, '3D'],
] as const) {
  registerLayer(`MaxPooling${suffix}`, poolLayer(rank, 'MaxPool'));
  registerLayer(`AveragePooling${suffix}`, poolLayer(rank, 'AveragePool'));
}
