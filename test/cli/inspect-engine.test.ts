import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeModel } from '../../src/cli/commands/inspect.js';
import { createEngine } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import { repoRoot } from '../helpers/shared.js';

const fixture = (file: string) => loadModel(join(repoRoot, 'fixtures', 'models', file));

/** `inspect`'s per-layer `engine` field, by layer name. */
async function engineOf(model: Awaited<ReturnType<typeof fixture>>) {
  return Object.fromEntries(describeModel(model).layers.map((l) => [l.name, l.engine]));
}

describe('inspect: what the engine does with each layer', () => {
  it('augmentation is the identity at inference, the rest compiles to ONNX', async () => {
    const engine = await engineOf(await fixture('prep_augmentation.keras'));
    expect(engine.input_layer).toEqual({ kind: 'input' });
    expect(engine['data_augmentation/random_flip']).toEqual({ kind: 'identity' });
    expect(engine['data_augmentation/random_rotation']).toEqual({ kind: 'identity' });
    expect(engine.conv2d).toEqual({ kind: 'onnx' });
    expect(engine.dense).toEqual({ kind: 'onnx' });
  });

  it('string layers run host-side', async () => {
    const engine = await engineOf(await fixture('text_classifier.keras'));
    expect(engine.text_vectorization).toEqual({ kind: 'host' });
    expect(engine.embedding).toEqual({ kind: 'onnx' });
  });

  it('recorded mask ops are not compiled: the engine propagates the masks itself', async () => {
    const engine = await engineOf(await fixture('mask_ops_k315.keras'));
    expect(engine.not_equal).toEqual({
      kind: 'unused',
      reason: 'no output depends on it: computes a mask the engine propagates itself',
    });
    expect(engine.masking).toEqual({ kind: 'onnx' });
  });

  it('keras_hub layers compile, and each output shows its own call’s shape (a tied embedding’s reverse call)', async () => {
    const info = describeModel(await fixture('keras_hub_decoder_causal.keras'));
    const engine = Object.fromEntries(info.layers.map((l) => [l.name, l.engine]));
    expect(engine.transformer_decoder_2).toEqual({ kind: 'onnx' });
    expect(engine.token_and_position_embedding).toEqual({ kind: 'onnx' });
    expect(info.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['reversible_embedding', [null, 8, 30]],
      ['transformer_decoder_3', [null, 8, 16]],
      ['reversible_embedding_1', [null, 8, 30]],
      ['reversible_embedding_1', [null, 8, 16]],
    ]);
  });

  it('a refused model names every layer it cannot run at once, each with why', async () => {
    const model = await fixture('text_classifier.keras');
    const renamed = {
      ...model,
      layers: model.layers.map((l) =>
        l.name === 'embedding' || l.name === 'dense' ? { ...l, className: `Frobnicate${l.name}` } : l,
      ),
    };
    const info = describeModel(renamed);
    expect(info.fast_path).toBe(false);
    const engine = Object.fromEntries(info.layers.map((l) => [l.name, l.engine]));
    expect(engine.embedding).toEqual({ kind: 'refused', reason: 'no ONNX converter for this layer class' });
    expect(engine.dense).toEqual({ kind: 'refused', reason: 'no ONNX converter for this layer class' });
    expect(engine.global_average_pooling1d).toEqual({ kind: 'onnx' });
    expect(info.unsupported.join('\n')).toMatch(
      /embedding \(Frobnicateembedding\).*\n?.*dense \(Frobnicatedense\)/s,
    );
    await expect(createEngine(renamed)).rejects.toThrow(
      /embedding \(Frobnicateembedding\): no ONNX converter for this layer class; dense \(Frobnicatedense\): no ONNX converter/,
    );
  });
});

describe('inspect: a config value refused while compiling', () => {
  it('is put on the layer it names', async () => {
    const model = await fixture('text_classifier.keras');
    const changed = {
      ...model,
      layers: model.layers.map((l) =>
        l.name === 'embedding' ? { ...l, config: { ...l.config, lora_rank: 2 } } : l,
      ),
    };
    const info = describeModel(changed);
    expect(info.fast_path).toBe(false);
    const embedding = info.layers.find((l) => l.name === 'embedding')?.engine;
    expect(embedding).toEqual({
      kind: 'refused',
      reason: 'lora_rank is not supported',
    });
    expect(info.layers.find((l) => l.name === 'dense')?.engine).toEqual({ kind: 'onnx' });
  });
});

describe("inspect: an op's open dims stay open", () => {
  it('`x / 2.0 - 1.0` on (None, None, 3) is (None, None, 3), not a static batch of 1', async () => {
    for (const file of ['op_open_dims.keras', 'op_open_dims.tf2.h5']) {
      const info = describeModel(await fixture(file));
      const ops = info.layers.filter((l) => /TrueDivide|Subtract|Multiply/.test(l.class_name));
      expect(ops.length).toBeGreaterThanOrEqual(2);
      for (const l of ops) expect(l.output_shape, `${file} ${l.name}`).toEqual([[null, null, 3]]);
      expect(info.outputs[0].shape).toEqual([null, 4]);
    }
  });
});
