/** Image and NumPy jobs folder to folder and bucket to bucket (versitygw): the same outputs and report. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { type BatchJobOptions, runBatchJob } from '../../../src/batch/index.js';
import { encodeNpy } from '../../../src/scoring/formats/npy.js';
import { type BucketDriver, createFsDriver } from '../../../src/storage/index.js';
import { exampleInputs } from '../../helpers/batch-files.js';
import { setUpS3FormatJob } from './s3-format-job.js';

const job = setUpS3FormatJob(['npyimg-in', 'npyimg-out'], 'kb-npyimg-s3-');

it('scores images (one truncated) and .npy/.npz files the same via fs and S3', async () => {
  const work = job.work();
  const model = job.model();
  const digits = exampleInputs().map((t) => JSON.parse(t).values.flat(4) as number[]);
  const files: Record<string, Uint8Array> = {};
  for (const [i, d] of digits.entries()) {
    const pixels = Uint8Array.from(d, (v) => Math.round(v * 255));
    files[`img/d${i}.png`] = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
  }
  files['img/cut.jpg'] = files['img/d0.png'].subarray(0, 200);
  const all = Float32Array.from(digits.flat());
  files['arrays/all.npy'] = encodeNpy(all, [10, 28, 28, 1]);
  files['arrays/half.npz'] = zipSync({ 'half.npy': encodeNpy(all.subarray(0, 5 * 784), [5, 28, 28]) });
  const source = join(work, 'in');
  const input = job.s3('npyimg-in');
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(join(source, key, '..'), { recursive: true });
    writeFileSync(join(source, key), body);
    await input.put(key, body);
  }
  const options = (src: BucketDriver, target: BucketDriver): BatchJobOptions => ({
    model: { engine: model.engine, sha256: model.sha256, name: 'mnist-cnn.keras' },
    source: src,
    target,
    ioThreads: 0,
    formats: { scale: 'unit' },
  });
  const local = await runBatchJob(
    options(createFsDriver({ root: source }), createFsDriver({ root: join(work, 'out'), create: true })),
  );
  const output = job.s3('npyimg-out');
  const remote = await runBatchJob(options(input, output));
  for (const report of [local, remote]) {
    expect(report.counts).toMatchObject({ scored: 12, failed: 1, records: 25 });
    expect(report.failures).toMatchObject([
      { file: 'img/cut.jpg', stage: 'parse', code: 'INPUT_IMAGE_INVALID' },
    ]);
  }
  const keys = [
    ...digits.map((_, i) => `img/d${i}.png.json`),
    'arrays/all.npy',
    'arrays/all.classes.npy',
    'arrays/half.npy',
    'arrays/half.classes.npy',
  ];
  for (const key of keys) {
    const want = readFileSync(join(work, 'out', key));
    const got = Buffer.from((await output.get(key)).body);
    expect(got.equals(want), key).toBe(true);
  }
  const first = JSON.parse(readFileSync(join(work, 'out', 'img/d0.png.json'), 'utf8'));
  expect(Object.keys(first)).toEqual(['img/d0.png']);
});
