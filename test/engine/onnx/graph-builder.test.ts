import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/engine/onnx/graph-builder.js';

describe('GraphBuilder.unique', () => {
  it('gives each base its first free name, whatever was taken before', () => {
    const g = new GraphBuilder();
    expect(g.unique('a_1')).toBe('a_1');
    expect([g.unique('a'), g.unique('a'), g.unique('a')]).toEqual(['a', 'a_2', 'a_3']);
    expect(g.unique('a_1')).toBe('a_1_1');
    expect(g.unique('a')).toBe('a_4');
    expect(g.unique('x y')).toBe('x_y');
    expect(g.unique('x_y')).toBe('x_y_1');
  });

  it('names 20,000 nodes of one base uniquely and in order', () => {
    const g = new GraphBuilder();
    const names = Array.from({ length: 20_000 }, () => g.unique('activation'));
    expect(new Set(names).size).toBe(20_000);
    expect(names.at(-1)).toBe('activation_19999');
  });
});
