/**
 * Model files are data only. `fixtures/hostile/` holds real Keras files (fixtures/models/dense.*) whose first
 * kernel takes its bytes from outside the file: HDF5 external storage (a raw host file), a virtual dataset and an
 * external link (another HDF5 file), in `.h5` and inside a `.keras` zip (`fixtures/make_hostile.py`). Loading them
 * must fail naming the weight, and the secret's values must never become weights.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/keras/index.js';
import { repoRoot } from '../helpers/shared.js';

const hostile = join(repoRoot, 'fixtures', 'hostile');
/** Where the hostile files point (fixtures/make_hostile.py). */
const secretDir = '/tmp/keras-batch-hostile';
/** The secret's values: 1000 … 1029, as float32 (also what `secret.h5`'s dataset holds). */
const secret = Float32Array.from({ length: 30 }, (_, i) => 1000 + i);

const weightOf = (ext: string) => (ext === 'h5' ? 'dense/kernel:0' : 'layers/dense/vars/0');

describe('model files are data only: weights stored outside the file are refused', () => {
  beforeAll(() => {
    mkdirSync(secretDir, { recursive: true });
    writeFileSync(join(secretDir, 'secret.bin'), new Uint8Array(secret.buffer));
    copyFileSync(join(hostile, 'secret.h5'), join(secretDir, 'secret.h5'));
  });
  afterAll(() => rmSync(secretDir, { recursive: true, force: true }));

  const cases = ['external-storage', 'virtual-dataset', 'external-link'].flatMap((how) =>
    ['h5', 'keras'].map((ext) => ({ how, ext, file: `${how}.${ext}` })),
  );

  it.each(cases)('$file is refused, from bytes and from a path', async ({ file, ext }) => {
    const path = join(hostile, file);
    for (const source of [readFileSync(path), path]) {
      const loaded = loadModel(source).then((model) => {
        const kernel = model.layers.flatMap((l) => l.weights).find((w) => w.data.length === 30);
        return [...(kernel?.data ?? [])];
      });
      await expect(loaded, `${file} loaded, first kernel shown`).rejects.toMatchObject({
        name: 'ModelLoadError',
        message: expect.stringMatching(/not stored inside the model file/),
      });
      await expect(loaded).rejects.toThrow(weightOf(ext));
    }
  });

  it('the same files with the data inside load (the check refuses only what it should)', async () => {
    for (const file of ['dense.tf2.h5', 'dense.keras']) {
      const model = await loadModel(join(repoRoot, 'fixtures', 'models', file));
      const values = model.layers.flatMap((l) => l.weights).flatMap((w) => [...w.data]);
      expect(values.length).toBeGreaterThan(30);
      expect(values.some((v) => v >= 1000)).toBe(false);
    }
  });
});
