/**
 * `keras-batch score` on a folder of text inputs for a real-Keras text classifier (TextVectorization ->
 * Embedding -> GlobalAveragePooling1D -> Dense): every record's prediction equals real Keras' (the golden),
 * whether files hold one string or several (micro-batched together); a number where the model takes a string
 * fails that file only, with a clear reason, and a string for a numeric model fails the same way.
 */

import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import { exampleModel } from '../helpers/batch-files.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot, 'fixtures');
const model = join(fixtures, 'models', 'text_classifier.keras');

interface Golden {
  inputs: { dims: number[]; strings: string[] }[];
  outputs: Record<string, { dims: number[]; data: number[] }[]>;
}

let work: string;
let golden: Golden;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kb-text-score-'));
  golden = JSON.parse(await readFile(join(fixtures, 'goldens', 'text_classifier.json'), 'utf8')) as Golden;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

type Row = [number[], number, number[]];
const valuesOf = async (path: string, name: string) =>
  (JSON.parse(await readFile(path, 'utf8')) as Record<string, { values: unknown }>)[name].values;

describe('keras-batch score on text inputs', () => {
  it('scores string records as real Keras does; bad types fail their file only', async () => {
    const source = join(work, 'in');
    const target = join(work, 'out');
    mkdirSync(source, { recursive: true });
    const texts = golden.inputs[0].strings;
    const expected = golden.outputs['text_classifier.keras'][0];
    const classes = expected.dims[1];
    for (const [i, t] of texts.entries()) {
      await writeFile(join(source, `one${i}.json`), JSON.stringify({ values: t }));
    }
    await writeFile(join(source, 'all.json'), JSON.stringify({ values: texts.map((t) => [t]) }));
    await writeFile(join(source, 'number.json'), '{"values": ["fine", 42]}');
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
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as JobReport;
    expect(report.counts).toMatchObject({ scored: texts.length + 1, failed: 1 });
    expect(report.failures).toEqual([
      expect.objectContaining({
        file: 'number.json',
        stage: 'parse',
        code: 'INPUT_NOT_STRING',
        reason: expect.stringMatching(/"42" where the model's string input takes strings/),
      }),
    ]);
    const want = (r: number) => expected.data.slice(r * classes, (r + 1) * classes);
    const close = (got: number[], w: number[]) => {
      expect(got.length).toBe(w.length);
      for (const [k, v] of got.entries()) expect(Math.abs(v - w[k])).toBeLessThan(1e-5);
    };
    for (const r of texts.keys()) {
      const [prediction, cls] = (await valuesOf(join(target, `one${r}.json`), `one${r}.json`)) as Row;
      close(prediction, want(r));
      expect(cls).toBe(want(r).indexOf(Math.max(...want(r))));
    }
    const rows = (await valuesOf(join(target, 'all.json'), 'all.json')) as Row[];
    expect(rows.length).toBe(texts.length);
    for (const [r, row] of rows.entries()) close(row[0], want(r));
  });

  it('a string for a numeric model fails that file with a clear reason', async () => {
    const source = join(work, 'in-num');
    mkdirSync(source, { recursive: true });
    await writeFile(join(source, 'text.json'), '{"values": "a picture of a seven"}');
    const result = await runCli([
      'score',
      '--model',
      exampleModel,
      '--source',
      source,
      '--target',
      join(work, 'out-num'),
      '--json',
    ]);
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as JobReport;
    expect(report.failures[0]).toMatchObject({
      file: 'text.json',
      stage: 'parse',
      code: 'INPUT_NOT_NUMERIC',
    });
    expect(report.failures[0].reason).toMatch(/must be an array of numbers, found a string/);
  });
});
