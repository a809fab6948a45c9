import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/batch/index.js';
import { summarize } from '../../src/batch/report.js';
import type { Engine, Tensor } from '../../src/engine/types.js';
import { createFsDriver } from '../../src/storage/index.js';

/**
 * A model of 2 inputs → 3 class scores whose output is NaN where a record's first value is negative and +Infinity
 * where it is above 100 (as a model with NaN/huge weights gives); finite scores otherwise.
 */
const engine: Engine = {
  backend: 'test',
  inputs: [{ name: 'x', shape: [null, 2] }],
  outputs: [{ name: 'y', shape: [null, 3] }],
  layerShapes: new Map(),
  async predict([x]: Tensor[]) {
    const n = x.dims[0];
    const data = new Float32Array(n * 3);
    for (let r = 0; r < n; r += 1) {
      const v = x.data[r * 2];
      data.set(
        v < 0 ? [0.2, Number.NaN, 0.5] : v > 100 ? [0, Number.POSITIVE_INFINITY, 1] : [0.1, 0.7, 0.2],
        r * 3,
      );
    }
    return [{ data, dims: [n, 3] }];
  },
  async dispose() {},
};

const work = mkdtempSync(join(tmpdir(), 'kb-nonfinite-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('runBatchJob: outputs holding NaN or Infinity', () => {
  it('writes them as null with null classes, counts and lists each such file, and warns once per file', async () => {
    const source = join(work, 'in');
    const target = join(work, 'out');
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'good.json'), '{"values": [[1, 2]]}');
    writeFileSync(join(source, 'nan.json'), '{"values": [[-1, 2]]}');
    writeFileSync(join(source, 'mixed.json'), '{"values": [[1, 2], [500, 2], [3, 4]]}');
    const messages: string[] = [];
    const report = await runBatchJob({
      model: { engine, sha256: 'f'.repeat(64), name: 'nan-model' },
      source: createFsDriver({ root: source }),
      target: createFsDriver({ root: target, create: true }),
      batchSize: 2,
      ioThreads: 0,
      onWarning: (m) => messages.push(m),
    });
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ scored: 3, failed: 0, records: 5, nonFinite: 2 });
    expect(report.warnings.map((w) => [w.file, w.code]).sort()).toEqual([
      ['mixed.json', 'NON_FINITE_OUTPUT'],
      ['nan.json', 'NON_FINITE_OUTPUT'],
    ]);
    expect(report.warnings.find((w) => w.file === 'mixed.json')?.reason).toMatch(/^1 of 3 record\(s\)/);
    expect(messages.filter((m) => /NaN or Infinity/.test(m)).sort()).toEqual([
      expect.stringMatching(/^mixed\.json: 1 of 3/),
      expect.stringMatching(/^nan\.json: 1 of 1/),
    ]);

    const read = (f: string) => JSON.parse(readFileSync(join(target, f), 'utf8'));
    expect(read('good.json')['good.json'].values).toEqual([
      [0.1, 0.7, 0.2].map(Math.fround),
      1,
      [0.1, 0.7, 0.2].map(Math.fround),
    ]);
    expect(read('nan.json')['nan.json'].values).toEqual([
      [0.2, null, 0.5].map((v) => v && Math.fround(v)),
      null,
      [0.2, null, 0.5].map((v) => v && Math.fround(v)),
    ]);
    const mixed = read('mixed.json')['mixed.json'].values;
    expect(mixed.map((row: unknown[]) => row[1])).toEqual([1, null, 1]);
    expect(mixed[1][0]).toEqual([0, null, 1]);

    const saved = JSON.parse(readFileSync(join(target, report.reportKey ?? ''), 'utf8'));
    expect(saved.counts.nonFinite).toBe(2);
    expect(saved.warnings).toHaveLength(2);
    const summary = summarize(report);
    expect(summary).toContain('2 scored with NaN/Infinity outputs (null)');
    expect(summary).toMatch(/warnings:\n\s+\S+\.json 1 of \d record/);
  });
});
