import type { DataFormat } from '../../keras/layer-classes/descriptor.js';
import type { CroppingConfig, ZeroPaddingConfig } from '../../keras/layer-classes/reshaping.js';
import type { LayerSpec, Shape } from '../../keras/model.js';
import { type ConfigReader, unsupported } from './config.js';
import { product } from './layout.js';
import { registerLayer, type Sym, type TypedLayerContext } from './registry.js';

/**
 * Reshape, Permute, RepeatVector, Cropping1D/2D/3D and ZeroPadding1D/2D/3D
 * (keras/src/layers/reshaping/*.py). All keep the batch axis. None supports masking, so like Keras they
 * drop an incoming mask.
 */

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Reshape to `(batch, ...target_shape)`; one `-1` is inferred (keras/src/layers/reshaping/reshape.py).
 * ONNX copies the batch axis with a `0` entry.
 */
registerLayer('Reshape', ({ g, layer, inputs, config }) => {
  const x = inputs[0];
  const raw = config.raw('target_shape');
  if (!Array.isArray(raw) || !raw.every((d) => isInt(d) && (d > 0 || d === -1))) {
    unsupported(layer, `target_shape ${JSON.stringify(raw)}`);
  }
  const target = raw as number[];
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1) unsupported(layer, `target_shape ${JSON.stringify(raw)} with several -1`);
  const total = product(x.shape.slice(1));
  const known = target.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const shape: Shape = [
    x.shape[0],
    ...target.map((d) => (d !== -1 ? d : total === null ? null : total / known)),
  ];
  if (unknown === 0 && total !== null && total !== known) {
    unsupported(layer, `reshaping ${total} values into [${target}]`);
  }
  if (unknown === 1 && total !== null && total % known !== 0) {
    unsupported(layer, `reshaping ${total} values into [${target}]`);
  }
  const dims = g.constInt64('reshape_dims', [0, ...target]);
  return { masks: [null], outputs: [{ name: g.op('Reshape', [x.name, dims]), shape }] };
});

/** Permute with 1-based `dims` that exclude the batch axis. */
registerLayer('Permute', ({ g, layer, inputs, config }) => {
  const x = inputs[0];
  const raw = config.raw('dims');
  const r = x.shape.length;
  const ok =
    Array.isArray(raw) &&
    raw.length === r - 1 &&
    raw.every((d) => isInt(d) && d >= 1 && d < r) &&
    new Set(raw).size === raw.length;
  if (!ok) unsupported(layer, `dims ${JSON.stringify(raw)} on rank ${r}`);
  const perm = [0, ...(raw as number[])];
  const name = g.op('Transpose', [x.name], { perm: { ints: perm } });
  return { masks: [null], outputs: [{ name, shape: perm.map((p) => x.shape[p]) }] };
});

/** RepeatVector: `(batch, features)` → `(batch, n, features)`. */
registerLayer('RepeatVector', ({ g, layer, inputs, config }) => {
  const x = inputs[0];
  if (x.shape.length !== 2) unsupported(layer, `input of rank ${x.shape.length}`);
  const n = config.number('n');
  const expanded = g.op('Unsqueeze', [x.name, g.constInt64('axes', [1])]);
  const name = g.op('Tile', [expanded, g.constInt64('repeats', [1, n, 1])]);
  return { masks: [null], outputs: [{ name, shape: [x.shape[0], n, x.shape[1]] }] };
});

/**
 * Reads `(begin, end)` pairs for `rank` spatial axes from a Cropping/ZeroPadding config value `v` (of `key`):
 * an int, `rank` ints (symmetric per axis), a pair (1D) or `rank` pairs; Keras 1's
 * `{top_pad, bottom_pad, left_pad, right_pad}` dict for 2D.
 */
export function readPairs(layer: LayerSpec, key: string, v: unknown, rank: number): [number, number][] {
  const fail = (): never => unsupported(layer, `${key} ${JSON.stringify(v)}`);
  if (isInt(v)) return Array.from({ length: rank }, () => [v, v]);
  if (Array.isArray(v)) {
    if (rank === 1 && v.length === 2 && v.every(isInt)) return [[v[0], v[1]]];
    if (rank === 1 && v.length === 1 && isInt(v[0])) return [[v[0], v[0]]];
    if (v.length === rank && v.every(isInt)) return v.map((p) => [p, p]);
    if (v.length === rank && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(isInt))) {
      return v.map((p) => [p[0], p[1]]);
    }
    if (v.length === rank && v.every((p) => Array.isArray(p) && p.length === 1 && isInt(p[0]))) {
      return v.map((p) => [p[0], p[0]]);
    }
    return fail();
  }
  if (rank === 2 && v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = ['top_pad', 'bottom_pad', 'left_pad', 'right_pad'].map((k) => o[k] ?? 0);
    if (keys.every(isInt))
      return [
        [keys[0], keys[1]],
        [keys[2], keys[3]],
      ] as [number, number][];
  }
  return fail();
}

/** Indices of the spatial axes of a rank-`r` tensor (batch included) in the layer's data format. */
export function spatialAxes(r: number, channelsFirst: boolean): number[] {
  return Array.from({ length: r - 2 }, (_, i) => (channelsFirst ? i + 2 : i + 1));
}

function spatialSetup(
  cfg: ConfigReader<{ data_format?: DataFormat }>,
  layer: LayerSpec,
  x: Sym,
  rank: number,
  key: 'cropping' | 'padding',
  value: unknown,
) {
  if (x.shape.length !== rank + 2) unsupported(layer, `input of rank ${x.shape.length}`);
  const pairs = readPairs(layer, key, value, rank);
  if (pairs.some(([a, b]) => a < 0 || b < 0)) unsupported(layer, `negative ${key}`);
  return { pairs, axes: spatialAxes(x.shape.length, cfg.channelsFirst()) };
}

function croppingLayer(rank: number) {
  return ({ g, layer, inputs, config }: TypedLayerContext<CroppingConfig>) => {
    const x = inputs[0];
    const { pairs, axes } = spatialSetup(config, layer, x, rank, 'cropping', config.raw('cropping'));
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const d = x.shape[a];
      const [b, e] = pairs[i];
      if (d !== null && b + e >= d) unsupported(layer, `cropping ${b + e} of an axis of size ${d}`);
      shape[a] = d === null ? null : d - b - e;
    });
    if (pairs.every(([b, e]) => b === 0 && e === 0)) return { masks: [null], outputs: [x] };
    const starts = pairs.map(([b]) => b);
    const ends = pairs.map(([, e]) => (e === 0 ? Number.MAX_SAFE_INTEGER : -e));
    const name = g.op('Slice', [
      x.name,
      g.constInt64('starts', starts),
      g.constInt64('ends', ends),
      g.constInt64('axes', axes),
    ]);
    return { masks: [null], outputs: [{ name, shape }] };
  };
}

function zeroPaddingLayer(rank: number) {
  return ({ g, layer, inputs, config }: TypedLayerContext<ZeroPaddingConfig>) => {
    const x = inputs[0];
    const { pairs, axes } = spatialSetup(config, layer, x, rank, 'padding', config.raw('padding'));
    const r = x.shape.length;
    const begin = Array(r).fill(0);
    const end = Array(r).fill(0);
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      [begin[a], end[a]] = pairs[i];
      const d = x.shape[a];
      shape[a] = d === null ? null : d + pairs[i][0] + pairs[i][1];
    });
    const name = g.op('Pad', [x.name, g.constInt64('pads', [...begin, ...end])], { mode: { s: 'constant' } });
    return { masks: [null], outputs: [{ name, shape }] };
  };
}

for (const [rank, suffix] of [
  [1, '1D'],
  [2, '2D'],
  [3, '3D'],
] as const) {
  registerLayer(`Cropping${suffix}`, croppingLayer(rank));
  registerLayer(`ZeroPadding${suffix}`, zeroPaddingLayer(rank));
}
