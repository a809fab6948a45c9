import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../../src/scoring/formats/npy.js';
import { repoRoot } from '../../helpers/shared.js';
import { formatJobs } from './format-jobs.js';

/** Inputs `image` (6, 6, 1) and `meta` (3); outputs `cls` (3), `reg` (1) and `flag` (1). */
const jobs = formatJobs(join(repoRoot, 'fixtures', 'models', 'multi_io.keras'));

describe('.npz for a model of several inputs and outputs', () => {
  it('feeds the arrays named as the inputs, and writes one .npz of predictions and classes per output', async () => {
    const { source, target } = jobs.folders();
    const image = Float32Array.from({ length: 4 * 36 }, (_, i) => ((i * 37) % 101) / 100);
    const meta = Float32Array.from({ length: 4 * 3 }, (_, i) => (i % 5) - 2);
    writeFileSync(
      join(source, 'batch.npz'),
      zipSync(
        { 'meta.npy': encodeNpy(meta, [4, 3]), 'image.npy': encodeNpy(image, [4, 6, 6, 1]) },
        { level: 6 },
      ),
    );
    const report = await jobs.job(source, target, { batchSize: 3 });
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ scored: 1, records: 4 });
    const out = unzipSync(readFileSync(join(target, 'batch.npz')));
    expect(Object.keys(out).sort()).toEqual([
      'classes_0.npy',
      'classes_1.npy',
      'classes_2.npy',
      'prediction_0.npy',
      'prediction_1.npy',
      'prediction_2.npy',
    ]);
    const want = await jobs.model().engine.predict([
      { data: image, dims: [4, 6, 6, 1] },
      { data: meta, dims: [4, 3] },
    ]);
    for (const [o, w] of want.entries()) {
      const got = parseNpy(out[`prediction_${o}.npy`], `prediction_${o}`);
      expect(got.shape).toEqual(w.dims);
      for (const [i, v] of w.data.entries()) expect(Math.abs(got.data[i] - v)).toBeLessThan(1e-5);
    }
    const cls = parseNpy(out['classes_0.npy'], 'classes_0');
    expect(cls.shape).toEqual([4]);
    for (let r = 0; r < 4; r += 1) {
      const row = Array.from(want[0].data.subarray(r * 3, r * 3 + 3));
      expect(cls.data[r]).toBe(row.indexOf(Math.max(...row)));
    }
    const flags = parseNpy(out['classes_2.npy'], 'classes_2');
    expect(flags.shape).toEqual([4, 1]);
    expect(Array.from(flags.data)).toEqual(Array.from(want[2].data, (v) => (v > 0.5 ? 1 : 0)));
  });

  it('fails a .npy for a model of several inputs, and an .npz missing an input, naming what is there', async () => {
    const { source, target } = jobs.folders();
    writeFileSync(join(source, 'one.npy'), encodeNpy(new Float32Array(36), [1, 6, 6, 1]));
    writeFileSync(
      join(source, 'half.npz'),
      zipSync({ 'image.npy': encodeNpy(new Float32Array(36), [1, 6, 6, 1]) }),
    );
    const report = await jobs.job(source, target);
    expect(report.counts).toMatchObject({ scored: 0, failed: 2 });
    const reasons = Object.fromEntries(report.failures.map((f) => [f.file, f.reason]));
    expect(reasons['one.npy']).toMatch(/the model has 2 inputs: give them as an \.npz/);
    expect(reasons['half.npz']).toMatch(
      /half\.npz holds the arrays image; name the ones the model reads \(inputs image, meta\)/,
    );
  });
});
