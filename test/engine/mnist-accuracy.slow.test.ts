import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import { engineCorrect, readMnist } from '../helpers/mnist.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

interface ManifestModel {
  file: string;
  companion_architecture_file?: string;
  reference_eval_numpy?: { acc_x_div_255: number; acc_raw_0_255: number; better_preprocessing: string };
}

describeShared('MNIST models reach the accuracy MANIFEST.json records, over all 10,000 test images', () => {
  const shared = sharedDir() as string;
  const manifest = JSON.parse(readFileSync(join(shared, 'keras-models', 'MANIFEST.json'), 'utf8')) as {
    models: ManifestModel[];
  };
  const mnist = readMnist(shared);
  for (const entry of manifest.models.filter((m) => m.reference_eval_numpy)) {
    const ref = entry.reference_eval_numpy!;
    const raw = ref.better_preprocessing.startsWith('raw');
    const expected = raw ? ref.acc_raw_0_255 : ref.acc_x_div_255;
    it(`${entry.file}: ${raw ? 'raw 0-255' : 'x/255'} accuracy ${expected} ± 0.003`, async () => {
      const dir = join(shared, 'keras-models');
      const architecture = entry.companion_architecture_file
        ? readFileSync(join(dir, entry.companion_architecture_file))
        : undefined;
      const model = await loadModel(join(dir, entry.file), { architecture });
      const engine = await createEngine(model);
      try {
        const correct = await engineCorrect(engine, mnist, raw ? 1 : 1 / 255);
        const accuracy = correct / mnist.count;
        expect(Math.abs(accuracy - expected), `accuracy ${accuracy} vs ${expected}`).toBeLessThanOrEqual(
          0.003,
        );
      } finally {
        await engine.dispose();
      }
    });
  }
});
