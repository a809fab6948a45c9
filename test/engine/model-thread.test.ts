/**
 * Models opened in a model thread (engine/model-thread): the same predictions as the model opened in process,
 * the description's weights as shapes only (sized the same by the cache), typed errors back across the thread,
 * and the thread gone once the engine is disposed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightBytes } from '../../src/engine/model-cache.js';
import { modelThreads, openModelInThread } from '../../src/engine/model-thread/index.js';
import { openModel } from '../../src/engine/open-model.js';
import { KerasBatchError } from '../../src/util/errors.js';
import { dropSpareFloats, takeFloats } from '../../src/util/float-buffers.js';
import { repoRoot } from '../helpers/shared.js';

const MNIST = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');

const until = async (ok: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return ok();
};

describe('engine: model threads', () => {
  it('predicts as the in-process engine does; weights stay in the thread; dispose ends the thread', async () => {
    const before = modelThreads().running;
    const local = await openModel(MNIST);
    const threaded = await openModelInThread({ path: MNIST }, { name: 'mnist-cnn.keras', threads: 1 });
    try {
      expect(modelThreads().running).toBe(before + 1);
      expect(threaded.sha256).toBe(local.sha256);
      expect(threaded.size).toBe(readFileSync(MNIST).byteLength);
      expect(threaded.engine.inputs).toEqual(local.engine.inputs);
      expect(threaded.engine.outputs).toEqual(local.engine.outputs);
      expect([...threaded.engine.layerShapes]).toEqual([...local.engine.layerShapes]);
      expect(threaded.description.layers.flatMap((l) => l.weights).every((w) => w.data.length === 0)).toBe(
        true,
      );
      expect(weightBytes(threaded.description)).toBe(weightBytes(local.description));
      const values = JSON.parse(
        readFileSync(join(repoRoot, 'examples', 'input', 'img1.json'), 'utf8'),
      ).values;
      const input = { data: new Float32Array(values.flat(Number.POSITIVE_INFINITY)), dims: [1, 28, 28, 1] };
      const [ours] = await threaded.engine.predict([input]);
      const [theirs] = await local.engine.predict([input]);
      expect(ours.dims).toEqual(theirs.dims);
      expect([...ours.data]).toEqual([...theirs.data]);
    } finally {
      await threaded.engine.dispose();
      await local.engine.dispose();
    }
    expect(await until(() => modelThreads().running === before)).toBe(true);
    await expect(threaded.engine.predict([])).rejects.toThrow(/closed|exited/);
  }, 60_000);

  it('moves a handed-over batch to the thread (no copy) and gets its buffer back as a spare for the next batch', async () => {
    const threaded = await openModelInThread({ path: MNIST }, { name: 'mnist-cnn.keras', threads: 1 });
    try {
      const length = 3 * 784;
      const data = takeFloats(length);
      for (let i = 0; i < length; i += 1) data[i] = ((i * 37) % 255) / 255;
      const copy = Float32Array.from(data);
      const [kept] = await threaded.engine.predict([{ data: copy, dims: [3, 28, 28, 1] }]);
      const [moved] = await threaded.engine.predict([{ data, dims: [3, 28, 28, 1] }], { handOver: true });
      expect(data.length).toBe(0); // detached: moved, not copied
      expect(copy.length).toBe(length); // not handed over: still the caller's
      expect([...moved.data]).toEqual([...kept.data]);
      const spare = takeFloats(length);
      expect([...spare.subarray(0, 8)]).toEqual([...copy.subarray(0, 8)]); // the batch's own numbers, back
    } finally {
      await threaded.engine.dispose();
      dropSpareFloats();
    }
  }, 60_000);

  it("a file that is no model is refused with the loader's typed error, and its thread ends", async () => {
    const before = modelThreads().running;
    const error = await openModelInThread({ bytes: new Uint8Array(64).fill(7) }, { name: 'junk.h5' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KerasBatchError);
    expect((error as KerasBatchError).code).toBe('KERAS_UNKNOWN_FORMAT');
    expect(await until(() => modelThreads().running === before)).toBe(true);
  }, 60_000);
});
