import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unusedLayers } from '../../src/engine/compile.js';
import { loadModel } from '../../src/keras/index.js';
import { normalizeLayer, type StoredLayer } from '../../src/keras/normalize.js';
import { repoRoot } from '../helpers/shared.js';

const models = join(repoRoot, 'fixtures', 'models');
const fixture = (f: string) => join(models, f);
const haveFixtures = existsSync(fixture('slash_layer_names.tf2.h5'));

const node = (layer: string, ...args: unknown[]) => ({
  args: [
    { class_name: '__keras_tensor__', config: { shape: [null, 5], keras_history: [layer, 0, 0] } },
    ...args,
  ],
  kwargs: {},
});
const refusal = (entry: StoredLayer): string => {
  try {
    normalizeLayer(entry, false);
  } catch (error) {
    return (error as Error & { code: string }).code;
  }
  return 'accepted';
};

describe.skipIf(!haveFixtures)('keras: tf.keras layer names holding "/" (nested HDF5 groups)', () => {
  it('reads each layer from its nested group, also where a group holds both a layer and a deeper one', async () => {
    const model = await loadModel(fixture('slash_layer_names.tf2.h5'));
    const shapes = Object.fromEntries(model.layers.map((l) => [l.name, l.weights.map((w) => w.shape)]));
    expect(shapes['conv1/conv']).toEqual([[6, 5], [5]]);
    expect(shapes.conv1).toEqual([[5, 4], [4]]);
    expect(shapes['conv1/bn/dense']).toEqual([[4, 4], [4]]);
    expect(shapes['a/b']).toEqual([[4, 3], [3]]);
    expect(model.layers.find((l) => l.name === 'conv1')?.weights[0].name).toBe('conv1/kernel:0');
  });
});

describe.skipIf(!haveFixtures)(
  'keras: Keras 3.15 mask ops (NotEqual/Any) recorded in .keras and legacy .h5',
  () => {
    for (const file of ['mask_ops_k315.keras', 'mask_ops_k315.k3.h5']) {
      it(`${file}: the ops load as op layers that only compute masks, and are never compiled`, async () => {
        const model = await loadModel(fixture(file));
        const ops = model.layers.filter((l) => l.className.startsWith('ops.'));
        expect(ops.map((l) => l.className).sort()).toEqual(['ops.Any', 'ops.NotEqual', 'ops.NotEqual']);
        expect([...unusedLayers(model)].sort()).toEqual(ops.map((l) => l.name).sort());
      });
    }

    it('takes a module-less entry for a Keras op only with an op config and Keras 3 call nodes', () => {
      const op: StoredLayer = {
        class_name: 'NotEqual',
        config: { name: 'not_equal' },
        name: 'not_equal',
        inbound_nodes: [node('input_layer', 0)],
      };
      expect(normalizeLayer(op, false).className).toBe('ops.NotEqual');
      const any: StoredLayer = {
        class_name: 'Any',
        config: { name: 'any', axis: -1, keepdims: false },
        name: 'any',
        inbound_nodes: [node('not_equal')],
      };
      expect(normalizeLayer(any, false)).toEqual({
        className: 'ops.Any',
        config: { name: 'any', axis: -1, keepdims: false },
      });
      // a custom layer of the same name: a layer config (trainable, dtype), or Keras 2 list nodes
      const layer = { ...any, config: { name: 'any', trainable: true, dtype: 'float32' } };
      expect(refusal(layer)).toBe('KERAS_CUSTOM_LAYER');
      expect(refusal({ ...any, inbound_nodes: [[['not_equal', 0, 0, {}]]] })).toBe('KERAS_CUSTOM_LAYER');
      expect(refusal({ ...any, class_name: 'NotAKerasOp' })).toBe('KERAS_CUSTOM_LAYER');
    });
  },
);

describe("keras: keras.applications' own layer classes are not custom", () => {
  const base = { name: 'ls', trainable: true, dtype: 'float32' };
  const scale = { ...base, init_values: 1e-6, projection_dim: 4 };

  it('accepts them by module (.keras) and by class name with their exact config (.h5)', () => {
    const cases: [StoredLayer, string][] = [
      [
        {
          module: 'keras.src.applications.convnext',
          class_name: 'LayerScale',
          registered_name: 'LayerScale',
          config: scale,
        },
        'applications.LayerScale',
      ],
      [{ class_name: 'LayerScale', config: scale }, 'applications.LayerScale'],
      [
        { class_name: 'StochasticDepth', config: { ...base, drop_path_rate: 0.1 } },
        'applications.StochasticDepth',
      ],
      [
        { class_name: 'Custom>CustomScaleLayer', config: { ...base, scale: 0.17 } },
        'applications.CustomScaleLayer',
      ],
      [
        {
          module: 'keras.src.applications.inception_resnet_v2',
          class_name: 'CustomScaleLayer',
          registered_name: 'CustomScaleLayer',
          config: { ...base, scale: 0.17 },
        },
        'applications.CustomScaleLayer',
      ],
    ];
    for (const [entry, cls] of cases) expect(normalizeLayer(entry, false).className).toBe(cls);
  });

  it('refuses a class of the same name from another module, registration or config', () => {
    const mine = { module: 'my_model.layers', class_name: 'LayerScale', registered_name: 'LayerScale' };
    expect(refusal({ ...mine, config: scale })).toBe('KERAS_CUSTOM_LAYER');
    const registered = {
      module: 'keras.src.applications.convnext',
      class_name: 'LayerScale',
      registered_name: 'MyPkg>LayerScale',
    };
    expect(refusal({ ...registered, config: scale })).toBe('KERAS_CUSTOM_LAYER');
    expect(refusal({ class_name: 'LayerScale', config: { ...scale, offset: 1 } })).toBe('KERAS_CUSTOM_LAYER');
    expect(refusal({ class_name: 'LayerScale', config: base })).toBe('KERAS_CUSTOM_LAYER');
    expect(refusal({ class_name: 'MyPkg>CustomScaleLayer', config: { ...base, scale: 1 } })).toBe(
      'KERAS_CUSTOM_LAYER',
    );
  });

  it.skipIf(!haveFixtures)('loads them from every format with their weights', async () => {
    for (const file of [
      'applications_layers.keras',
      'applications_layers.k3.h5',
      'applications_layers.tf2.h5',
    ]) {
      const model = await loadModel(fixture(file));
      const app = model.layers.filter((l) => l.className.startsWith('applications.'));
      expect(app.map((l) => [l.className, l.weights.map((w) => w.shape)])).toEqual([
        ['applications.LayerScale', [[4]]],
        ['applications.StochasticDepth', []],
        ['applications.CustomScaleLayer', []],
      ]);
    }
  });
});
