import type { Shape } from '../../keras/model.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { Sym } from './registry.js';

/**
 * Keras keeps `channels_last` tensors (N, ...spatial, C); ONNX Conv/Pool want (N, C, ...spatial).
 * Converters transpose around those ops and onnxruntime's transpose optimizer removes the pairs that cancel.
 */
export function toChannelsFirst(g: GraphBuilder, x: Sym): Sym {
  const r = x.shape.length;
  const perm = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  return { name: g.op('Transpose', [x.name], { perm: { ints: perm } }), shape: perm.map((p) => x.shape[p]) };
}

export function toChannelsLast(g: GraphBuilder, x: Sym): Sym {
  const r = x.shape.length;
  const perm = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  return { name: g.op('Transpose', [x.name], { perm: { ints: perm } }), shape: perm.map((p) => x.shape[p]) };
}

export type Padding = 'valid' | 'same' | 'causal';

/** Output size of one spatial axis, as TF computes it (null when the input size is open). */
export function outputSize(
  input: number | null,
  kernel: number,
  stride: number,
  dilation: number,
  padding: Padding,
): number | null {
  if (input === null) return null;
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return Math.floor((input - effective) / stride) + 1;
  return Math.ceil(input / stride);
}

/**
 * Explicit ONNX pads `[begin..., end...]` reproducing TF: `same` puts the extra pixel at the end (bottom/right),
 * `causal` pads only the beginning. Returns null when a spatial size is open (the caller then uses SAME_UPPER).
 */
export function explicitPads(
  spatial: (number | null)[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  padding: Padding,
): number[] | null {
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < spatial.length; i += 1) {
    const effective = (kernel[i] - 1) * dilations[i] + 1;
    if (padding === 'valid') {
      begin.push(0);
      end.push(0);
    } else if (padding === 'causal') {
      begin.push(effective - 1);
      end.push(0);
    } else {
      const size = spatial[i];
      if (size === null) return null;
      const out = Math.ceil(size / strides[i]);
      const total = Math.max((out - 1) * strides[i] + effective - size, 0);
      begin.push(Math.floor(total / 2));
      end.push(total - Math.floor(total / 2));
    }
  }
  return [...begin, ...end];
}

export function product(dims: (number | null)[]): number | null {
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

/** Normalizes a possibly negative Keras axis against a rank (batch axis included). */
export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export function withShape(name: string, shape: Shape): Sym {
  return { name, shape };
}
