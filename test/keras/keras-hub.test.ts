import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { compileToOnnx } from '../../src/engine/compile.js';
import { loadModel } from '../../src/keras/index.js';
import type { ModelDescription } from '../../src/keras/model.js';
import { normalizeLayer, type StoredLayer } from '../../src/keras/normalize.js';
import { repoRoot } from '../helpers/shared.js';

const fixture = (f: string) => join(repoRoot, 'fixtures', 'models', f);
const CLASSIFIER = fixture('keras_hub_transformer_classifier.keras');
const haveFixtures = existsSync(CLASSIFIER);

const refusal = (entry: StoredLayer): string => {
  try {
    normalizeLayer(entry, false);
  } catch (error) {
    return (error as Error & { code: string }).code;
  }
  return 'accepted';
};

const config = { name: 'enc', trainable: true, dtype: 'float32', intermediate_dim: 12, num_heads: 2 };

describe('keras: keras_hub modeling layers are accepted only when the entry says they are keras_hub’s', () => {
  it('accepts the .keras module and registered name, keras_nlp’s too, and the legacy .h5 class name', () => {
    const cases: StoredLayer[] = [
      {
        module: 'keras_hub.src.layers.modeling.transformer_encoder',
        class_name: 'TransformerEncoder',
        registered_name: 'keras_hub>TransformerEncoder',
        config,
      },
      {
        module: 'keras_nlp.src.layers.modeling.transformer_encoder',
        class_name: 'TransformerEncoder',
        registered_name: 'keras_nlp>TransformerEncoder',
        config,
      },
      { class_name: 'keras_hub>TransformerEncoder', config },
    ];
    for (const entry of cases)
      expect(normalizeLayer(entry, false).className).toBe('keras_hub.TransformerEncoder');
  });

  it('refuses a user’s own TransformerEncoder or TokenAndPositionEmbedding (as Keras 3.15 stores them)', () => {
    // a class defined in __main__: unregistered, and registered with keras.saving.register_keras_serializable()
    expect(
      refusal({
        module: null,
        class_name: 'TransformerEncoder',
        registered_name: 'TransformerEncoder',
        config,
      }),
    ).toBe('KERAS_CUSTOM_LAYER');
    expect(
      refusal({
        class_name: 'TokenAndPositionEmbedding',
        registered_name: 'Custom>TokenAndPositionEmbedding',
        config,
      }),
    ).toBe('KERAS_CUSTOM_LAYER');
    expect(
      refusal({ module: '__main__', class_name: 'TransformerEncoder', registered_name: null, config }),
    ).toBe('KERAS_CUSTOM_LAYER');
    expect(refusal({ class_name: 'TransformerEncoder', config })).toBe('KERAS_CUSTOM_LAYER');
    expect(refusal({ class_name: 'Custom>TransformerEncoder', config })).toBe('KERAS_CUSTOM_LAYER');
    // a keras_hub module with another package's registration, or the reverse
    expect(
      refusal({
        module: 'keras_hub.src.layers.modeling.transformer_encoder',
        class_name: 'TransformerEncoder',
        registered_name: 'MyPkg>TransformerEncoder',
        config,
      }),
    ).toBe('KERAS_CUSTOM_LAYER');
    expect(
      refusal({
        module: 'my_models.layers',
        class_name: 'TransformerEncoder',
        registered_name: 'keras_hub>TransformerEncoder',
        config,
      }),
    ).toBe('KERAS_CUSTOM_LAYER');
    // a keras_hub class the engine does not know stays refused
    expect(refusal({ class_name: 'keras_hub>FNetEncoder', config })).toBe('KERAS_CUSTOM_LAYER');
  });
});

/** The classifier fixture with its config.json edited. */
async function editedClassifier(edit: (layer: Record<string, unknown>) => void): Promise<ModelDescription> {
  const files = unzipSync(readFileSync(CLASSIFIER));
  const cfg = JSON.parse(strFromU8(files['config.json']));
  for (const layer of cfg.config.layers) edit(layer);
  files['config.json'] = strToU8(JSON.stringify(cfg));
  return loadModel(zipSync(files));
}

describe.skipIf(!haveFixtures)('keras_hub layers in a real Keras 3.15 model', () => {
  it('loads the classifier with each sublayer’s weights in the legacy .h5 order', async () => {
    for (const file of ['keras_hub_transformer_classifier.keras', 'keras_hub_transformer_classifier.k3.h5']) {
      const model = await loadModel(fixture(file));
      const enc = model.layers.find((l) => l.name === 'transformer_encoder_1');
      expect(enc?.className).toBe('keras_hub.TransformerEncoder');
      expect(enc?.weights.map((w) => w.shape)).toEqual([
        [16, 2, 8],
        [2, 8],
        [16, 2, 8],
        [2, 8],
        [16, 2, 8],
        [2, 8],
        [2, 8, 16],
        [16],
        [16],
        [16],
        [16],
        [16],
        [16, 20],
        [20],
        [20, 16],
        [16],
      ]);
      const emb = model.layers.find((l) => l.name === 'token_and_position_embedding');
      expect(emb?.weights.map((w) => w.shape)).toEqual([
        [30, 16],
        [8, 16],
      ]);
    }
  });

  it('refuses the same model when the encoder is a user’s own class of that name', async () => {
    const load = editedClassifier((layer) => {
      if (layer.class_name !== 'TransformerEncoder') return;
      layer.module = null;
      layer.registered_name = 'TransformerEncoder';
    });
    await expect(load).rejects.toMatchObject({ code: 'KERAS_CUSTOM_LAYER' });
    await expect(load).rejects.toThrow(/transformer_encoder.*custom layer\?/);
  });

  it('refuses a config option the converter does not implement, naming it', async () => {
    const model = await editedClassifier((layer) => {
      if (layer.name === 'transformer_encoder_1') (layer.config as Record<string, unknown>).use_bias = false;
    });
    expect(() => compileToOnnx(model)).toThrow(/transformer_encoder_1.*"use_bias" is not supported/);
  });
});
