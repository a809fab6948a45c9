import { describe, expect, it } from 'vitest';
import { flattenModel } from '../../src/keras/flatten.js';
import { parseModelConfig } from '../../src/keras/graph.js';

const dense = (name: string, inbound: unknown) => ({
  class_name: 'Dense',
  name,
  config: { name, units: 2 },
  inbound_nodes: inbound,
});

describe('keras: graph flattening', () => {
  it('inlines a nested Sequential called twice (Keras 2 node indices start at 1)', () => {
    const inner = {
      class_name: 'Sequential',
      name: 'inner',
      config: {
        name: 'inner',
        layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 2] } }],
      },
      inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]],
    };
    const config = {
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'a',
            config: { name: 'a', batch_input_shape: [null, 2] },
            inbound_nodes: [],
          },
          {
            class_name: 'InputLayer',
            name: 'b',
            config: { name: 'b', batch_input_shape: [null, 2] },
            inbound_nodes: [],
          },
          inner,
          {
            class_name: 'Add',
            name: 'add',
            config: { name: 'add' },
            inbound_nodes: [
              [
                ['inner', 1, 0, {}],
                ['inner', 2, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        output_layers: [['add', 0, 0]],
      },
    };
    const g = flattenModel(parseModelConfig(config, { keras1: false, depth: 0 }), true);
    expect(g.layers.map((l) => l.name)).toEqual(['a', 'b', 'inner/d', 'add']);
    const d = g.layers[2];
    expect(d.inbound.map((n) => n.inputs[0].layer)).toEqual(['a', 'b']);
    expect(g.layers[3].inbound[0].inputs).toEqual([
      { layer: 'inner/d', nodeIndex: 0, tensorIndex: 0 },
      { layer: 'inner/d', nodeIndex: 1, tensorIndex: 0 },
    ]);
    expect(g.inputs.map((i) => i.name)).toEqual(['a', 'b']);
  });

  it('reads Keras 3 dict inbound nodes with tensors in kwargs and constant args', () => {
    const tensor = (layer: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 2], keras_history: [layer, 0, 0] },
    });
    const config = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'x',
            config: { name: 'x', batch_shape: [null, 2], dtype: 'float32' },
            inbound_nodes: [],
          },
          {
            module: 'keras.src.ops.numpy',
            class_name: 'NotEqual',
            registered_name: 'NotEqual',
            name: 'ne',
            config: { name: 'ne' },
            inbound_nodes: [{ args: [tensor('x'), 0], kwargs: {} }],
          },
          dense('d', [{ args: [tensor('x')], kwargs: { mask: tensor('ne') } }]),
        ],
        input_layers: [['x', 0, 0]],
        output_layers: ['d', 0, 0],
      },
    };
    const g = flattenModel(parseModelConfig(config, { keras1: false, depth: 0 }));
    expect(g.layers[1].className).toBe('ops.NotEqual');
    expect(g.layers[1].inbound[0].args).toEqual([{ layer: 'x', nodeIndex: 0, tensorIndex: 0 }, 0]);
    expect(g.layers[2].inbound[0].kwargs.mask).toEqual({ layer: 'ne', nodeIndex: 0, tensorIndex: 0 });
    expect(g.outputs).toEqual([{ name: 'd', ref: { layer: 'd', nodeIndex: 0, tensorIndex: 0 } }]);
    expect(g.inputs).toEqual([{ name: 'x', shape: [null, 2], dtype: 'float32' }]);
  });

  it('resolves Keras 3 tensors with a recorded dtype in op args through nested models (ConvNeXt stem + block)', () => {
    const tensor = (layer: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 2], dtype: 'float32', keras_history: [layer, 0, 0] },
    });
    const input = (name: string) => ({
      class_name: 'InputLayer',
      name,
      config: { name, batch_shape: [null, 2], dtype: 'float32' },
      inbound_nodes: [],
    });
    const op = (cls: string, name: string, args: unknown[]) => ({
      module: 'keras.src.ops.numpy',
      class_name: cls,
      registered_name: cls,
      name,
      config: { name },
      inbound_nodes: [{ args, kwargs: {} }],
    });
    // The nested model's op reads its own `proj`, which the outer model also has.
    const block = {
      class_name: 'Functional',
      name: 'block',
      config: {
        name: 'block',
        layers: [
          input('a'),
          dense('proj', [{ args: [tensor('a')], kwargs: {} }]),
          op('Multiply', 'mul', [tensor('proj'), 2]),
        ],
        input_layers: [['a', 0, 0]],
        output_layers: [['mul', 0, 0]],
      },
      inbound_nodes: [{ args: [tensor('x')], kwargs: {} }],
    };
    const config = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          input('x'),
          dense('proj', [{ args: [tensor('x')], kwargs: {} }]),
          block,
          op('Add', 'add', [tensor('block'), tensor('proj')]),
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['add', 0, 0]],
      },
    };
    const g = flattenModel(parseModelConfig(config, { keras1: false, depth: 0 }));
    const ref = (layer: string) => ({ layer, nodeIndex: 0, tensorIndex: 0, dtype: 'float32' });
    const byName = new Map(g.layers.map((l) => [l.name, l]));
    expect(byName.get('block/mul')?.inbound[0].args).toEqual([ref('block/proj'), 2]);
    expect(byName.get('add')?.inbound[0].args).toEqual([ref('block/mul'), ref('proj')]);
  });

  it('refuses references to missing layers and nodes', () => {
    const config = {
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'a',
            config: { name: 'a', batch_input_shape: [null, 2] },
            inbound_nodes: [],
          },
          dense('d', [[['nope', 0, 0, {}]]]),
        ],
        input_layers: [['a', 0, 0]],
        output_layers: [['d', 0, 0]],
      },
    };
    expect(() => flattenModel(parseModelConfig(config, { keras1: false, depth: 0 }))).toThrow(/'nope'/);
  });

  it('takes dict inputs and outputs in sorted key order, and refuses a key that is not its layer name', () => {
    const input = (name: string) => ({
      class_name: 'InputLayer',
      name,
      config: { name, batch_input_shape: [null, 1] },
    });
    const model = (inputLayers: Record<string, unknown>) => ({
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          input('b'),
          input('a'),
          {
            class_name: 'Concatenate',
            name: 'c',
            config: { name: 'c' },
            inbound_nodes: [
              [
                ['a', 0, 0, {}],
                ['b', 0, 0, {}],
              ],
            ],
          },
        ],
        input_layers: inputLayers,
        output_layers: { z: ['c', 0, 0], y: ['b', 0, 0] },
      },
    });
    const g = flattenModel(
      parseModelConfig(model({ b: ['b', 0, 0], a: ['a', 0, 0] }), { keras1: false, depth: 0 }),
    );
    expect(g.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(g.outputs.map((o) => o.name)).toEqual(['b', 'c']);
    expect(() =>
      parseModelConfig(model({ x: ['a', 0, 0], b: ['b', 0, 0] }), { keras1: false, depth: 0 }),
    ).toThrow(/input dict key "x" names the input layer 'a'/);
  });
});
