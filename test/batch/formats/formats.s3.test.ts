/** The same record-file jobs folder to folder and bucket to bucket (versitygw): the same outputs and report. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BatchJobOptions, runBatchJob } from '../../../src/batch/index.js';
import { type OpenModel, openModel } from '../../../src/engine/open-model.js';
import { type BucketDriver, createFsDriver, createS3Driver } from '../../../src/storage/index.js';
import { exampleInputs, exampleModel } from '../../helpers/batch-files.js';
import { type S3TestServer, startS3Server } from '../../helpers/s3-server.js';

let server: S3TestServer;
let model: OpenModel;
let work: string;
const drivers: BucketDriver[] = [];

const s3 = (bucket: string) => {
  const d = createS3Driver({
    endpoint: server.endpoint,
    bucket,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  drivers.push(d);
  return d;
};

beforeAll(async () => {
  server = await startS3Server();
  for (const b of ['fmt-in', 'fmt-out']) await server.createBucket(b);
  model = await openModel(exampleModel, { threads: 1 });
  work = mkdtempSync(join(tmpdir(), 'kb-formats-s3-'));
});
afterAll(async () => {
  for (const d of drivers) await d.close();
  await model?.engine.dispose();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Lines of the big file: its output (~545 bytes a line) goes up to S3 in two multipart parts. */
const LINES = 16_000;
const badLines = Array.from({ length: LINES }, (_, i) => i).filter((i) => i % 997 === 5);

it('scores JSON Lines (plain and gzipped, bad lines included) and CSV the same via fs and S3', async () => {
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
  const input = s3('fmt-in');
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
  const output = s3('fmt-out');
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
