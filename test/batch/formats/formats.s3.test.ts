/** The same record-file jobs folder to folder and bucket to bucket (versitygw): the same outputs and report. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { type BatchJobOptions, runBatchJob } from '../../../src/batch/index.js';
import { type BucketDriver, createFsDriver } from '../../../src/storage/index.js';
import { exampleInputs } from '../../helpers/batch-files.js';
import { setUpS3FormatJob } from './s3-format-job.js';

const job = setUpS3FormatJob(['fmt-in', 'fmt-out'], 'kb-formats-s3-');

/** Lines of the big file: its output (~545 bytes a line) goes up to S3 in two multipart parts. */
const LINES = 16_000;
const badLines = Array.from({ length: LINES }, (_, i) => i).filter((i) => i % 997 === 5);

it('scores JSON Lines (plain and gzipped, bad lines included) and CSV the same via fs and S3', async () => {
  const work = job.work();
  const model = job.model();
  const values = exampleInputs().map((t) => JSON.stringify(JSON.parse(t).values));
  // Enough lines that the S3 output goes up in several multipart parts (> 8 MiB).
  const lines: string[] = [];
  for (let i = 0; i < LINES; i += 1)
    lines.push(i % 997 === 5 ? '{"values": [1, 2' : `{"id": ${i}, "values": ${values[i % 10]}}`);
  const inner = (v: string) => JSON.parse(v)[0].flat(2) as number[];
  const files: Record<string, Buffer> = {
    'big.jsonl': Buffer.from(`${lines.join('\n')}\n`),
    'small.ndjson.gz': gzipSync(`${values[3]}\n${values[4]}\n`),
    'pixels.csv': Buffer.from(
      [
        ['id', ...Array.from({ length: 784 }, (_, i) => `p${i}`)].join(','),
        ...values.map((v, i) => [`digit${i}`, ...inner(v)].join(',')),
        'ragged,1,2',
      ].join('\n'),
    ),
  };
  const source = join(work, 'in');
  mkdirSync(source);
  const input = job.s3('fmt-in');
  for (const [key, body] of Object.entries(files)) {
    writeFileSync(join(source, key), body);
    await input.put(key, body);
  }
  const options = (src: BucketDriver, target: BucketDriver): BatchJobOptions => ({
    model: { engine: model.engine, sha256: model.sha256, name: 'mnist-cnn.keras' },
    source: src,
    target,
    ioThreads: 0,
    formats: { idField: 'id', idColumn: 'id' },
  });
  const local = await runBatchJob(
    options(createFsDriver({ root: source }), createFsDriver({ root: join(work, 'out'), create: true })),
  );
  const output = job.s3('fmt-out');
  const remote = await runBatchJob(options(input, output));
  for (const report of [local, remote]) {
    expect(report.counts).toMatchObject({
      scored: 3,
      failed: 0,
      records: LINES - badLines.length + 2 + 10,
      failedRecords: badLines.length + 1,
    });
    expect(report.failures.map((f) => `${f.file}:${f.line}`).sort()).toEqual(
      [...badLines.map((i) => `big.jsonl:${i + 1}`), 'pixels.csv:12'].sort(),
    );
  }
  for (const key of ['big.jsonl', 'small.ndjson', 'pixels.csv']) {
    const want = readFileSync(join(work, 'out', key));
    const got = Buffer.from((await output.get(key)).body);
    expect(got.equals(want), key).toBe(true);
  }
  expect((await output.head('big.jsonl'))?.size).toBeGreaterThan(8 * 1024 * 1024);
  expect(readFileSync(join(work, 'out', 'pixels.csv'), 'utf8').split('\n')[1]).toMatch(/^digit0,/);
});
