import type { GlobalPoolingConfig } from '../../keras/layer-classes/pooling.js';
import { unsupported } from './config.js';
import { registerLayer, type TypedLayerContext } from './registry.js';
import { spatialAxes } from './reshaping.js';

/**
 * GlobalMax/AveragePooling1D/2D/3D (keras/src/layers/pooling/base_global_pooling.py): reduce the spatial
 * axes of the layer's data format, keeping them as size 1 with `keepdims`. GlobalAveragePooling1D honours a
 * `[batch, time]` mask as Keras does (masked mean, global_average_pooling1d.py); the output carries no mask.
 */
function globalPoolLayer(rank: number, kind: 'max' | 'avg') {
  return ({ g, layer, inputs, masks, config: cfg }: TypedLayerContext<GlobalPoolingConfig>) => {
    const x = inputs[0];
    const r = x.shape.length;
    if (r !== rank + 2) unsupported(layer, `input of rank ${r}`);
    const channelsFirst = cfg.channelsFirst();
    const keepdims = cfg.bool('keepdims', false);
    const axes = spatialAxes(r, channelsFirst);
    const shape = keepdims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const keep = { keepdims: { i: keepdims ? 1 : 0 } };
    const mask = masks[0];
    let name: string;
    if (kind === 'avg' && mask && rank === 1) {
      // mask [batch, time] → broadcast over features (channels_last) or channels (channels_first)
      const m = g.op('Unsqueeze', [mask.name, g.constInt64('axes', [channelsFirst ? 1 : 2])]);
      const axesName = g.constInt64('axes', axes);
      const kept = g.op('Where', [
        g.op('Cast', [m], { to: { i: 9 } }),
        x.name,
        g.constFloat('zero', [], [0]),
      ]);
      const sum = g.op('ReduceSum', [kept, axesName], keep);
      const count = g.op('ReduceSum', [m, axesName], keep);
      name = g.op('Div', [sum, count]);
    } else if (kind === 'avg') {
      name = g.op('ReduceMean', [x.name], { axes: { ints: axes }, ...keep });
    } else {
      name = g.op('ReduceMax', [x.name], { axes: { ints: axes }, ...keep });
    }
    return { outputs: [{ name, shape }], masks: [null] };
  };
}

for (const [rank, suffix] of [
  [1, '1D'],
  [2, '2D'],
  [3, '3D'],
] as const) {
  registerLayer(`GlobalMaxPooling${suffix}`, globalPoolLayer(rank, 'max'));
  registerLayer(`GlobalAveragePooling${suffix}`, globalPoolLayer(rank, 'avg'));
}
