import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import { mnistBatch, readMnist } from '../helpers/mnist.js';
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
        const inner = model.inputs[0].shape.slice(1) as number[];
        let correct = 0;
        const batch = 500;
        for (let first = 0; first < mnist.count; first += batch) {
          const data = mnistBatch(mnist, first, batch, raw ? 1 : 1 / 255);
          const [out] = await engine.predict([{ data, dims: [batch, ...inner] }]);
          const classes = out.dims[1];
          for (let r = 0; r < batch; r += 1) {
            let best = 0;
            for (let c = 1; c < classes; c += 1)
              if (out.data[r * classes + c] > out.data[r * classes + best]) best = c;
            if (best === mnist.labels[first + r]) correct += 1;
          }
        }
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
