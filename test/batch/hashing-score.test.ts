/**
 * `keras-batch score` on a real-Keras structured-data model that hashes and crosses its raw inputs (a float, two
 * integers and a string; Hashing, HashedCrossing, Embedding, Dense): input files mix numbers and strings, one
 * array per model input, and every record's prediction equals real Keras' (the `hashing_feature_model` golden).
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot, 'fixtures');

interface GoldenTensor {
  dims: number[];
  data?: number[];
  strings?: string[];
}
interface Golden {
  inputs: GoldenTensor[];
  outputs: Record<string, { dims: number[]; data: number[] }[]>;
}

let work: string;
let golden: Golden;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kb-hashing-score-'));
  const text = await readFile(join(fixtures, 'goldens', 'hashing_feature_model.json'), 'utf8');
  golden = JSON.parse(text) as Golden;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('keras-batch score on a model hashing its raw features', () => {
  it.each(['hashing_feature_model.keras', 'hashing_feature_model.tf2.h5'])(
    'scores %s as Keras does',
    async (file) => {
      const source = join(work, file, 'in');
      const target = join(work, file, 'out');
      mkdirSync(source, { recursive: true });
      const records = golden.inputs[0].dims[0];
      const recordValue = (t: GoldenTensor, r: number) =>
        t.strings ? t.strings[r] : (t.data as number[])[r];
      for (let r = 0; r < records; r += 1) {
        const values = golden.inputs.map((t) => [recordValue(t, r)]);
        await writeFile(join(source, `r${r}.json`), JSON.stringify({ values }));
      }
      const model = join(fixtures, 'models', file);
      const result = await runCli([
        'score',
        '--model',
        model,
        '--source',
        source,
        '--target',
        target,
        '--json',
      ]);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as JobReport;
      expect(report.counts).toMatchObject({ scored: records, failed: 0 });
      const expected = golden.outputs[file][0].data;
      for (let r = 0; r < records; r += 1) {
        const out = JSON.parse(await readFile(join(target, `r${r}.json`), 'utf8')) as Record<
          string,
          { values: [number[], number, number[]] }
        >;
        const [prediction] = out[`r${r}.json`].values;
        expect(prediction).toHaveLength(1);
        expect(Math.abs(prediction[0] - expected[r])).toBeLessThan(1e-5);
      }
    },
  );
});
