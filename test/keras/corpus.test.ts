import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { countParams, type LayerSpec, loadModel, type ModelDescription } from '../../src/keras/index.js';
import { ModelLoadError } from '../../src/util/errors.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

interface ManifestModel {
  file: string;
  keras_version: string | null;
  model_class: string;
  layers: string[];
  inputs: { layer: string; shape: (number | null)[] }[];
  outputs: { layer: string; class: string; activation: string }[];
  weights_only: boolean;
  companion_architecture_file?: string;
  float_param_count_incl_optimizer: number;
}

const KERAS1: Record<string, string> = { Convolution2D: 'Conv2D', Convolution1D: 'Conv1D' };

function canonical(cls: string): string {
  return KERAS1[cls] ?? cls.replace(/\(.*\)$/, '');
}

/** Layer classes, without the InputLayer the reader synthesizes when the manifest lists none. */
function classes(model: ModelDescription, manifestLayers: string[]): string[] {
  const all = model.layers.map((l) => l.className);
  return manifestLayers[0] !== 'InputLayer' && all[0] === 'InputLayer' ? all.slice(1) : all;
}

function checkWeightShapes(layer: LayerSpec): void {
  const c = layer.config;
  if (layer.className === 'Dense') {
    expect(layer.weights[0].shape).toHaveLength(2);
    expect(layer.weights[0].shape[1]).toBe(c.units);
    if (c.use_bias !== false) expect(layer.weights[1].shape).toEqual([c.units]);
  }
  if (/^Conv[123]D$/.test(layer.className)) {
    const rank = Number(layer.className[4]) + 2;
    expect(layer.weights[0].shape).toHaveLength(rank);
    expect(layer.weights[0].shape[rank - 1]).toBe(c.filters);
    expect(layer.weights[0].shape.slice(0, rank - 2)).toEqual(c.kernel_size);
  }
  if (layer.className === 'BatchNormalization') {
    const n = (c.scale === false ? 0 : 1) + (c.center === false ? 0 : 1) + 2;
    expect(layer.weights).toHaveLength(n);
  }
  for (const w of layer.weights) expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
}

describeShared('keras: every model of ../shared/keras-models', () => {
  const dir = join(sharedDir() ?? '', 'keras-models');
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as {
    models: ManifestModel[];
  };
  const refused = (m: ManifestModel) => m.layers.includes('Lambda') || m.file.includes('customlayers');

  for (const m of manifest.models.filter((x) => !refused(x) && !x.weights_only)) {
    it(`loads ${m.file}`, async () => {
      const model = await loadModel(join(dir, m.file));
      expect(classes(model, m.layers)).toEqual(m.layers.map(canonical));
      expect(model.modelClass).toBe(m.model_class);
      expect(model.kerasVersion).toBe(m.keras_version ?? 'unknown');
      expect(model.inputs.map((i) => i.shape)).toEqual(m.inputs.map((i) => i.shape));
      for (const [i, input] of model.inputs.entries()) {
        expect([m.inputs[i].layer, `${m.inputs[i].layer}_input`]).toContain(input.name);
      }
      expect(model.outputs.map((o) => o.name)).toEqual(m.outputs.map((o) => o.layer));
      for (const [i, out] of model.outputs.entries()) {
        const layer = model.layers.find((l) => l.name === out.name)!;
        expect(layer.className).toBe(m.outputs[i].class);
        expect(layer.config.activation).toBe(m.outputs[i].activation);
      }
      const params = model.layers.reduce((a, l) => a + countParams(l), 0);
      expect(params).toBeGreaterThan(0);
      expect(params).toBeLessThanOrEqual(m.float_param_count_incl_optimizer);
      for (const layer of model.layers) checkWeightShapes(layer);
      // Every reference names an existing layer and node.
      const byName = new Map(model.layers.map((l) => [l.name, l]));
      for (const layer of model.layers) {
        for (const node of layer.inbound) {
          for (const ref of node.inputs) {
            const src = byName.get(ref.layer)!;
            expect(src).toBeDefined();
            expect(ref.nodeIndex).toBeLessThan(Math.max(1, src.inbound.length));
          }
        }
      }
    });
  }

  it('refuses the Lambda model, naming the layer and its class', async () => {
    const m = manifest.models.find((x) => x.layers.includes('Lambda'))!;
    const error = await loadModel(join(dir, m.file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).code).toBe('KERAS_LAMBDA_LAYER');
    expect((error as Error).message).toContain("'lambda_1' (Lambda)");
  });

  it('refuses the custom-layer transformer, naming the layer and its class', async () => {
    const m = manifest.models.find((x) => x.file.includes('customlayers'))!;
    const error = await loadModel(join(dir, m.file)).catch((e: unknown) => e);
    expect((error as ModelLoadError).code).toBe('KERAS_CUSTOM_LAYER');
    expect((error as Error).message).toMatch(
      /'positional_index' \(PositionalIndex\).*CustomLayers>PositionalIndex/,
    );
  });

  it('refuses the weights-only model alone and loads it with its architecture JSON', async () => {
    const m = manifest.models.find((x) => x.weights_only)!;
    const error = await loadModel(join(dir, m.file)).catch((e: unknown) => e);
    expect((error as ModelLoadError).code).toBe('KERAS_WEIGHTS_ONLY');
    expect((error as Error).message).toContain(
      'weights-only file: an architecture JSON is needed (--architecture)',
    );
    const arch = join(dir, m.companion_architecture_file!);
    for (const architecture of [arch, readFileSync(arch, 'utf8'), new Uint8Array(readFileSync(arch))]) {
      const model = await loadModel(join(dir, m.file), { architecture });
      expect(model.format).toBe('weights-h5+json');
      expect(model.kerasMajor).toBe(1);
      expect(classes(model, m.layers)).toEqual(m.layers.map(canonical));
      expect(model.inputs[0].shape).toEqual(m.inputs[0].shape);
      expect(model.outputs[0].name).toBe(m.outputs[0].layer);
      for (const layer of model.layers) checkWeightShapes(layer);
    }
  });

  it('loads from bytes as from a path, and names formats and majors', async () => {
    const cases: [string, string, number][] = [
      ['mnist-cnn-keras1.2.2-akhilwaghmare.h5', 'keras1-h5', 1],
      ['mnist-cnn-keras2.0.9-allysonaberg.h5', 'keras2-h5', 2],
      ['imdb-embedding-bigru-tfkeras2.2.4-anushree1001.h5', 'tf-keras-h5', 2],
      ['mnist-cnn-tfkeras2.10.0-purinat33.h5', 'tf-keras-h5', 2],
      ['mnist-mlp-keras3.3.3-4bumuhammad.h5', 'keras3-h5', 3],
      ['mnist-cnn-keras3.4.1-aslaskin.keras', 'keras3-zip', 3],
    ];
    for (const [file, format, major] of cases) {
      const model = await loadModel(new Uint8Array(readFileSync(join(dir, file))), { name: 'x' });
      expect([model.name, model.format, model.kerasMajor]).toEqual(['x', format, major]);
    }
  });

  it('keeps Bidirectional inner config and forward-then-backward weights', async () => {
    const model = await loadModel(join(dir, 'imdb-embedding-bigru-tfkeras2.2.4-anushree1001.h5'));
    const bi = model.layers.find((l) => l.className === 'Bidirectional')!;
    expect((bi.config.layer as { class_name: string }).class_name).toBe('GRU');
    expect(bi.weights.map((w) => w.name)).toEqual([
      'bidirectional_4/forward_gru_4/kernel:0',
      'bidirectional_4/forward_gru_4/recurrent_kernel:0',
      'bidirectional_4/forward_gru_4/bias:0',
      'bidirectional_4/backward_gru_4/kernel:0',
      'bidirectional_4/backward_gru_4/recurrent_kernel:0',
      'bidirectional_4/backward_gru_4/bias:0',
    ]);
    expect(bi.weights[0].shape).toEqual([16, 48]);
  });

  it('normalizes Keras 1 and Keras 3 configs', async () => {
    const k1 = await loadModel(join(dir, 'mnist-cnn-keras1.2.2-akhilwaghmare.h5'));
    const conv = k1.layers.find((l) => l.className === 'Conv2D')!;
    expect(conv.config).toMatchObject({
      filters: 30,
      kernel_size: [5, 5],
      padding: 'valid',
      strides: [1, 1],
    });
    expect(conv.config.data_format).toBe('channels_last');
    expect(conv.weights[0].shape).toEqual([5, 5, 1, 30]);
    expect(k1.layers.find((l) => l.className === 'Dropout')!.config.rate).toBe(0.2);
    expect(k1.layers.find((l) => l.name === 'dense_1')!.config.units).toBe(128);
    const k3 = await loadModel(join(dir, 'stock-lstm-keras3.10.0-01235-anuj.h5'));
    const lstm = k3.layers.find((l) => l.className === 'LSTM')!;
    expect(lstm.config.dtype).toBe('float32');
    expect(lstm.config.activation).toBe('tanh');
    expect(lstm.weights.map((w) => w.shape)).toEqual([[1, 200], [50, 200], [200]]);
    expect(k3.layers[0].config.batch_input_shape).toEqual([null, 60, 1]);
  });
});
