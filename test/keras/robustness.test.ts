import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/keras/index.js';
import { ModelLoadError } from '../../src/util/errors.js';
import { defaultLimits } from '../../src/util/limits.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

async function failure(promise: Promise<unknown>): Promise<ModelLoadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

/** Write a small HDF5 file with h5wasm and return its bytes. */
async function makeHdf5(build: (f: InstanceType<typeof h5wasm.File>) => void): Promise<Uint8Array> {
  await h5wasm.ready;
  const path = join(tmpdir(), `keras-batch-test-${process.pid}-${Math.random().toString(36).slice(2)}.h5`);
  const f = new h5wasm.File(path, 'w');
  build(f);
  f.close();
  const bytes = new Uint8Array(readFileSync(path));
  unlinkSync(path);
  return bytes;
}

describe('keras: robustness without ../shared', () => {
  it('refuses bytes that are neither HDF5 nor zip', async () => {
    expect((await failure(loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])))).code).toBe(
      'KERAS_UNKNOWN_FORMAT',
    );
    expect((await failure(loadModel(new Uint8Array(0)))).code).toBe('KERAS_UNKNOWN_FORMAT');
    expect((await failure(loadModel(strToU8('{"class_name": "Sequential"}')))).code).toBe(
      'KERAS_UNKNOWN_FORMAT',
    );
  });

  it('refuses a missing file', async () => {
    expect((await failure(loadModel('/nonexistent/model.h5'))).code).toBe('KERAS_IO');
  });

  it('refuses a zip that is not a .keras', async () => {
    const zip = zipSync({ 'readme.txt': strToU8('hello'), 'data.bin': new Uint8Array(100) });
    const error = await failure(loadModel(zip));
    expect(error.code).toBe('KERAS_NOT_KERAS_ZIP');
    expect(error.message).toContain('config.json');
  });

  it('refuses a corrupt zip and a zip whose config.json is not JSON', async () => {
    const zip = zipSync({ 'config.json': strToU8('x'.repeat(1000)) });
    expect((await failure(loadModel(zip.subarray(0, 40)))).code).toBe('KERAS_NOT_KERAS_ZIP');
    expect((await failure(loadModel(zip))).code).toBe('KERAS_BAD_CONFIG');
  });

  it('refuses HDF5 signature followed by garbage', async () => {
    const bytes = new Uint8Array(4096);
    bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect((await failure(loadModel(bytes))).code).toBe('KERAS_CORRUPT_HDF5');
  });

  it('refuses an HDF5 file without model_config and without layer_names', async () => {
    const bytes = await makeHdf5((f) => {
      f.create_group('something');
      f.create_attribute('hello', 'world');
    });
    const error = await failure(loadModel(bytes));
    expect(error.code).toBe('KERAS_NOT_KERAS_HDF5');
    expect(error.message).toMatch(/model_config.*layer_names/);
  });

  it('refuses a weight with more than 2^31 elements and negative input dims', async () => {
    const config = JSON.stringify({
      class_name: 'Sequential',
      config: [
        {
          class_name: 'Dense',
          config: { name: 'dense_1', units: 65537, use_bias: false, batch_input_shape: [null, 65536] },
        },
      ],
    });
    const bytes = await makeHdf5((f) => {
      f.create_attribute('model_config', config);
      f.create_attribute('keras_version', '2.1.1');
      const mw = f.create_group('model_weights');
      mw.create_attribute('layer_names', ['dense_1'], null, 'S7');
      const g = mw.create_group('dense_1');
      g.create_attribute('weight_names', ['dense_1/kernel:0'], null, 'S16');
      g.create_group('dense_1');
      g.create_dataset({
        name: 'dense_1/kernel:0',
        data: new Float32Array(1),
        shape: [1, 1],
        maxshape: [null, null],
        chunks: [1, 1],
        dtype: '<f',
      });
      (g.get('dense_1/kernel:0') as InstanceType<typeof h5wasm.Dataset>).resize([65536, 65537]);
    });
    // the weight budgets would refuse it first (test/robustness): lifted here to reach the shape check
    const limits = {
      ...defaultLimits(),
      weightBytes: Number.MAX_SAFE_INTEGER,
      weightFileRatio: Number.MAX_SAFE_INTEGER,
    };
    const error = await failure(loadModel(bytes, { limits }));
    expect(error.message).toContain('[65536,65537]');
    expect(error.code).toBe('KERAS_BAD_SHAPE');
    expect(error.message).toContain('2^31');

    const negative = JSON.stringify({
      class_name: 'Sequential',
      config: [{ class_name: 'Flatten', config: { name: 'flatten_1', batch_input_shape: [null, -3] } }],
    });
    const bytes2 = await makeHdf5((f) => {
      f.create_attribute('model_config', negative);
      f.create_attribute('keras_version', '2.1.1');
    });
    const error2 = await failure(loadModel(bytes2));
    expect(error2.code).toBe('KERAS_BAD_SHAPE');
    expect(error2.message).toContain('-3');
  });

  it('refuses a weight whose size does not match the layer, naming the layer', async () => {
    const config = JSON.stringify({
      class_name: 'Sequential',
      config: [{ class_name: 'Dense', config: { name: 'dense_1', units: 3, batch_input_shape: [null, 4] } }],
    });
    const bytes = await makeHdf5((f) => {
      f.create_attribute('model_config', config);
      f.create_attribute('keras_version', '2.1.1');
      const mw = f.create_group('model_weights');
      mw.create_attribute('layer_names', ['dense_1'], null, 'S7');
      const g = mw.create_group('dense_1');
      g.create_attribute('weight_names', ['dense_1/kernel:0', 'dense_1/bias:0'], null, 'S16');
      g.create_group('dense_1');
      g.create_dataset({ name: 'dense_1/kernel:0', data: new Float32Array(20), shape: [4, 5], dtype: '<f' });
      g.create_dataset({ name: 'dense_1/bias:0', data: new Float32Array(5), shape: [5], dtype: '<f' });
    });
    const error = await failure(loadModel(bytes));
    expect(error.code).toBe('KERAS_WEIGHT_MISMATCH');
    expect(error.message).toContain("'dense_1' (Dense)");
  });

  it('refuses a Lambda wrapped in TimeDistributed and a custom activation', async () => {
    const wrapped = JSON.stringify({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 3, 2] } },
          {
            class_name: 'TimeDistributed',
            config: { name: 'td', layer: { class_name: 'Lambda', config: { name: 'l', function: 'AAAA' } } },
          },
        ],
      },
    });
    const custom = JSON.stringify({
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 3] } },
          {
            class_name: 'Dense',
            config: {
              name: 'dense',
              units: 2,
              activation: {
                module: 'my_module',
                class_name: 'function',
                config: 'gelu_tanh',
                registered_name: 'Custom>gelu',
              },
            },
          },
        ],
      },
    });
    for (const [config, code, text] of [
      [wrapped, 'KERAS_LAMBDA_LAYER', "'td' (TimeDistributed)"],
      [custom, 'KERAS_CUSTOM_LAYER', "'dense' (Dense)"],
    ]) {
      const bytes = await makeHdf5((f) => {
        f.create_attribute('model_config', config);
        f.create_attribute('keras_version', '3.4.0');
      });
      const error = await failure(loadModel(bytes));
      expect(error.code).toBe(code);
      expect(error.message).toContain(text);
    }
  });

  it('refuses a subclassed model', async () => {
    const config = JSON.stringify({ class_name: 'MyModel', registered_name: 'Custom>MyModel', config: {} });
    const zip = zipSync({
      'config.json': strToU8(config),
      'metadata.json': strToU8('{"keras_version": "3.4.1"}'),
    });
    expect((await failure(loadModel(zip))).code).toBe('KERAS_CUSTOM_LAYER');
  });
});

describeShared('keras: robustness on real files', () => {
  const dir = join(sharedDir() ?? '', 'keras-models');
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));

  it('refuses truncated HDF5 and .keras files with typed errors', async () => {
    for (const file of ['mnist-cnn-keras2.0.9-allysonaberg.h5', 'mnist-mlp-keras3.3.3-4bumuhammad.h5']) {
      const bytes = read(file);
      for (const cut of [16, 2048, Math.floor(bytes.length / 2), bytes.length - 100]) {
        const error = await failure(loadModel(bytes.subarray(0, cut)));
        expect(['KERAS_CORRUPT_HDF5', 'KERAS_BAD_WEIGHT']).toContain(error.code);
      }
    }
    const keras = read('churn-mlp-keras3.10.0-404error-010.keras');
    for (const cut of [10, 1000, Math.floor(keras.length / 2), keras.length - 10]) {
      const error = await failure(loadModel(keras.subarray(0, cut)));
      expect(['KERAS_NOT_KERAS_ZIP', 'KERAS_CORRUPT_HDF5']).toContain(error.code);
    }
  });

  /** Rebuild the churn .keras with an edited config.json. */
  function editedChurn(edit: (config: Record<string, unknown>) => void): Uint8Array {
    const files = unzipSync(read('churn-mlp-keras3.10.0-404error-010.keras'));
    const config = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
    edit(config);
    return zipSync({ ...files, 'config.json': strToU8(JSON.stringify(config)) });
  }
  type Layer = { class_name: string; config: Record<string, unknown> } & Record<string, unknown>;
  const layersOf = (c: Record<string, unknown>) => (c.config as { layers: Layer[] }).layers;

  it('ignores unknown config fields', async () => {
    const zip = editedChurn((c) => {
      c.future_field = { anything: [1, 2] };
      (c.config as Record<string, unknown>).another = 'x';
      for (const l of layersOf(c)) {
        l.config.unknown_option = 42;
        l.extra = true;
      }
    });
    const model = await loadModel(zip);
    expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense', 'Dense', 'Dense']);
    expect(model.layers[1].config.unknown_option).toBe(42);
  });

  it('names the layer when the weight count or shape does not fit the architecture', async () => {
    const noBias = editedChurn((c) => {
      layersOf(c)[1].config.use_bias = false;
    });
    const e1 = await failure(loadModel(noBias));
    expect(e1.code).toBe('KERAS_WEIGHT_MISMATCH');
    expect(e1.message).toContain("'dense_6' (Dense)");
    expect(e1.message).toMatch(/2 weight\(s\).*expects 1/);
    const wider = editedChurn((c) => {
      layersOf(c)[2].config.units = 33;
    });
    const e2 = await failure(loadModel(wider));
    expect(e2.code).toBe('KERAS_WEIGHT_MISMATCH');
    expect(e2.message).toContain("'dense_7' (Dense)");
  });

  it('names the layer when a weights-only file does not fit its architecture JSON', async () => {
    const arch = JSON.parse(
      readFileSync(join(dir, 'mnist-cnn-weightsonly-keras1.1.1-kazoo-kmt.json'), 'utf8'),
    );
    arch.config[0].config.nb_filter = 16;
    const error = await failure(
      loadModel(join(dir, 'mnist-cnn-weightsonly-keras1.1.1-kazoo-kmt.h5'), { architecture: arch }),
    );
    expect(error.code).toBe('KERAS_WEIGHT_MISMATCH');
    expect(error.message).toContain("'convolution2d_1' (Conv2D)");
    const dropped = JSON.parse(
      readFileSync(join(dir, 'mnist-cnn-weightsonly-keras1.1.1-kazoo-kmt.json'), 'utf8'),
    );
    dropped.config.splice(7, 1); // remove dense_1
    const error2 = await failure(
      loadModel(join(dir, 'mnist-cnn-weightsonly-keras1.1.1-kazoo-kmt.h5'), { architecture: dropped }),
    );
    expect(error2.code).toBe('KERAS_WEIGHT_MISMATCH');
    expect(error2.message).toContain("'dense_1'");
  });
});
