import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runBatchJob } from '../../src/batch/index.js';
import { openModel } from '../../src/engine/open-model.js';
import { createFsDriver } from '../../src/storage/index.js';
import { engineCorrect, readMnist } from '../helpers/mnist.js';
import { type MnistLayout, writeMnistFiles } from '../helpers/mnist-files.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

interface ManifestModel {
  file: string;
  companion_architecture_file?: string;
  inputs: { shape: (number | null)[] }[];
  reference_eval_numpy?: { better_preprocessing: string };
}

const work = mkdtempSync(join(tmpdir(), 'kb-mnist-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeShared('10,000 seed-format MNIST files scored folder to folder with each MNIST model', () => {
  const shared = sharedDir() as string;
  const dir = join(shared, 'keras-models');
  const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as {
    models: ManifestModel[];
  };
  const mnist = readMnist(shared);
  const written = new Map<string, string>();

  const inputsFor = (layout: MnistLayout) => {
    const key = `${layout.shape}-${layout.scale}`;
    let folder = written.get(key);
    if (!folder) {
      folder = join(work, `in-${key}`);
      writeMnistFiles(mnist, folder, mnist.count, layout);
      written.set(key, folder);
    }
    return folder;
  };

  for (const entry of manifest.models.filter((m) => m.reference_eval_numpy)) {
    it(`${entry.file}: one output per input, counts add up, accuracy equals the engine's`, async () => {
      const layout: MnistLayout = {
        shape: entry.inputs[0].shape.length === 2 ? 'flat' : 'image',
        scale: entry.reference_eval_numpy?.better_preprocessing.startsWith('raw') ? 1 : 'div255',
      };
      const source = inputsFor(layout);
      const target = join(work, `out-${entry.file}`);
      const architecture = entry.companion_architecture_file
        ? join(dir, entry.companion_architecture_file)
        : undefined;
      const model = await openModel(join(dir, entry.file), { architecture });
      try {
        const report = await runBatchJob({
          model: { engine: model.engine, sha256: model.sha256, name: entry.file },
          source: createFsDriver({ root: source }),
          target: createFsDriver({ root: target, create: true }),
        });
        expect(report.counts).toMatchObject({
          listed: 10_000,
          scored: 10_000,
          failed: 0,
          skipped: 0,
          records: 10_000,
          total: 10_000,
        });
        const outputs = readdirSync(target).filter((f) => f.endsWith('.json'));
        expect(outputs).toHaveLength(10_000);

        let jobCorrect = 0;
        for (let i = 0; i < mnist.count; i += 1) {
          const name = `img${i}.json`;
          const out = JSON.parse(readFileSync(join(target, name), 'utf8'));
          expect(Object.keys(out)).toEqual([name]);
          if (out[name].values[1] === mnist.labels[i]) jobCorrect += 1;
        }
        const engineRight = await engineCorrect(model.engine, mnist, layout.scale === 1 ? 1 : 1 / 255);
        expect(jobCorrect).toBe(engineRight);
        expect(jobCorrect / mnist.count).toBeGreaterThan(0.95);
      } finally {
        await model.engine.dispose();
      }
    });
  }
});
