import { describe, expect, it } from 'vitest';
import { compileToOnnx, createEngine } from '../../src/engine/index.js';
import { onnx } from '../../src/engine/onnx/proto.js';
import { flattenModel } from '../../src/keras/flatten.js';
import { parseModelConfig } from '../../src/keras/graph.js';
import type { ModelDescription } from '../../src/keras/model.js';

/**
 * How the engine treats stored call arguments: a constant it would drop, an option it does not know, or a
 * training-mode call is refused naming it (a dropped `+ 3.0` was a silently wrong number); ops and layers of
 * the same class name are never confused, in `.keras` configs (module) and Keras 3 HDF5 ones (no module).
 */

const tensor = (layer: string) => ({
  class_name: '__keras_tensor__',
  config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, 0, 0] },
});

const input = {
  class_name: 'InputLayer',
  name: 'x',
  config: { name: 'x', batch_shape: [null, 3], dtype: 'float32' },
  inbound_nodes: [],
};

function model(layer: Record<string, unknown>, keras3Hdf5 = false): ModelDescription {
  const config = {
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [input, { name: 'out', ...layer }],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
  };
  const flat = flattenModel(parseModelConfig(config, { keras1: false, keras3: keras3Hdf5, depth: 0 }));
  return {
    name: 'm',
    format: keras3Hdf5 ? 'keras3-h5' : 'keras3-zip',
    kerasVersion: '3.15.1',
    kerasMajor: 3,
    backend: 'tensorflow',
    modelClass: 'Functional',
    ...flat,
  };
}

async function run(m: ModelDescription, values = [1, -2, 4]): Promise<number[]> {
  const engine = await createEngine(m, { threads: 1 });
  try {
    const [out] = await engine.predict([{ data: Float32Array.from(values), dims: [1, 3] }]);
    return Array.from(out.data);
  } finally {
    await engine.dispose();
  }
}

const op = (
  cls: string,
  config: Record<string, unknown>,
  args: unknown[],
  module = 'keras.src.ops.numpy',
) => ({
  module,
  class_name: cls,
  config: { name: 'out', ...config },
  inbound_nodes: [{ args, kwargs: {} }],
});

describe('engine: stored call arguments are used or refused, never dropped', () => {
  it('computes x + 3 and 3 - x as ops (not as the one-input merge layer)', async () => {
    expect(await run(model(op('Add', {}, [tensor('x'), 3])))).toEqual([4, 1, 7]);
    expect(await run(model(op('Subtract', {}, [3, tensor('x')])))).toEqual([2, 5, -1]);
  });

  it("gives a number's constant the tensor's rank (onnxruntime broadcasts a 0-d one slowly)", () => {
    const compiled = compileToOnnx(model(op('Add', {}, [tensor('x'), 3])));
    const constants = onnx.ModelProto.decode(compiled.bytes).graph?.initializer ?? [];
    expect(constants.map((t) => (t.dims ?? []).map(Number))).toEqual([[1, 1]]);
  });

  it('tells an op from the layer of the same class in Keras 3 HDF5, where no module is stored', async () => {
    const { module: _dropped, ...asHdf5 } = op('Multiply', {}, [tensor('x'), 0.5]);
    const m = model(asHdf5, true);
    expect(m.layers[1].className).toBe('ops.Multiply');
    expect(await run(m)).toEqual([0.5, -1, 2]);
    const layer = {
      class_name: 'Multiply',
      config: { name: 'out', trainable: true, dtype: 'float32' },
      inbound_nodes: [{ args: [[tensor('x'), tensor('x')]], kwargs: {} }],
    };
    const merge = model(layer, true);
    expect(merge.layers[1].className).toBe('Multiply');
    expect(await run(merge)).toEqual([1, 4, 16]);
  });

  it('refuses a layer called with a constant positional argument, naming it', async () => {
    const layer = {
      module: 'keras.layers',
      class_name: 'Add',
      config: { name: 'out', trainable: true },
      inbound_nodes: [{ args: [tensor('x'), 3.0], kwargs: {} }],
    };
    await expect(run(model(layer))).rejects.toThrow(/layer out \(Add\): positional call arguments .*3/);
  });

  it('refuses unknown call keywords and training=True where it changes the result', async () => {
    const call = (cls: string, config: Record<string, unknown>, kwargs: Record<string, unknown>) => ({
      module: 'keras.layers',
      class_name: cls,
      config: { name: 'out', trainable: true, ...config },
      inbound_nodes: [{ args: [tensor('x')], kwargs }],
    });
    // tf.keras honours a recorded training=True in predict (dropout at inference): refused.
    const tfKeras = { ...model(call('Dropout', { rate: 0.5 }, { training: true })), kerasMajor: 2 as const };
    await expect(run(tfKeras)).rejects.toThrow(/training=true/);
    // Keras 3 passes predict's training=False to every call, whatever was recorded.
    expect(await run(model(call('Dropout', { rate: 0.5 }, { training: true })))).toEqual([1, -2, 4]);
    expect(await run(model(call('Dropout', { rate: 0.5 }, { training: false })))).toEqual([1, -2, 4]);
    await expect(run(model(call('Activation', { activation: 'relu' }, { scale: 2 })))).rejects.toThrow(
      /call argument scale=2 is not understood/,
    );
    await expect(
      run(model(call('Activation', { activation: 'relu' }, { mask: tensor('x') }))),
    ).rejects.toThrow(/call argument mask=/);
  });

  it('refuses an op it does not know, an op option it does not know, and a reduction over the batch', async () => {
    await expect(run(model(op('Frobnicate', {}, [tensor('x')])))).rejects.toThrow(
      /cannot run out \(ops\.Frobnicate\)/,
    );
    await expect(
      run(model(op('Sum', { axis: -1, keepdims: true, where: 1 }, [tensor('x')]))),
    ).rejects.toThrow(/config "where"=1 is not understood/);
    await expect(run(model(op('Sum', { axis: null }, [tensor('x')])))).rejects.toThrow(/batch axis/);
    await expect(run(model(op('Add', {}, [tensor('x'), 'three'])))).rejects.toThrow(
      /neither a tensor nor a number/,
    );
  });

  it('reads x[:, ::-1] and refuses an index on the batch axis', async () => {
    const slice = (start: number | null, stop: number | null, step: number | null) => ({
      class_name: '__slice__',
      config: { start, stop, step },
    });
    expect(
      await run(model(op('GetItem', {}, [tensor('x'), [slice(null, null, null), slice(null, null, -1)]]))),
    ).toEqual([4, -2, 1]);
    await expect(run(model(op('GetItem', {}, [tensor('x'), 0])))).rejects.toThrow(/batch axis/);
  });
});
