/**
 * 10,000 MNIST test images as seed-format files in a bucket of the S3 test server, scored with each MNIST
 * model of ../shared/keras-models into another bucket through runBatchJob and the s3 driver: every input has
 * exactly one output, the report counts add up, and the job's accuracy equals the engine's on the same inputs.
 * The folder-to-folder twin is mnist-batch.slow.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type JobReport, runBatchJob } from '../../src/batch/index.js';
import { openModel } from '../../src/engine/open-model.js';
import { type BucketDriver, createS3Driver } from '../../src/storage/index.js';
import { checkOutput, listKeys, mapLimit, range, splitTargetKeys } from '../helpers/batch-files.js';
import { engineCorrect, type Mnist, readMnist } from '../helpers/mnist.js';
import { type MnistLayout, mnistInputText } from '../helpers/mnist-files.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

interface ManifestModel {
  file: string;
  companion_architecture_file?: string;
  inputs: { shape: (number | null)[] }[];
  reference_eval_numpy?: { better_preprocessing: string };
}

const SOURCE_BUCKET = 'mnist-in';
const TARGET_BUCKET = 'mnist-out';
const IO_CONCURRENCY = 32;

describeShared('10,000 seed-format MNIST files scored bucket to bucket (S3) with each MNIST model', () => {
  const shared = sharedDir() ?? '';
  const dir = join(shared, 'keras-models');
  let server: S3TestServer;
  let mnist: Mnist;
  const drivers: BucketDriver[] = [];
  const uploaded = new Map<string, Promise<string>>();

  const driver = (bucket: string, prefix: string) => {
    const d = createS3Driver({
      endpoint: server.endpoint,
      bucket,
      prefix,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    drivers.push(d);
    return d;
  };

  beforeAll(async () => {
    mnist = readMnist(shared);
    server = await startS3Server();
    await server.createBucket(SOURCE_BUCKET);
    await server.createBucket(TARGET_BUCKET);
  });
  afterAll(async () => {
    for (const d of drivers) await d.close();
    await server?.stop();
  });

  /** Uploads the 10,000 inputs of one layout once (under its own prefix) and returns the prefix. */
  const inputsFor = (layout: MnistLayout): Promise<string> => {
    const prefix = `${layout.shape}-${layout.scale}/`;
    let done = uploaded.get(prefix);
    if (!done) {
      const d = driver(SOURCE_BUCKET, prefix);
      done = mapLimit(range(mnist.count), IO_CONCURRENCY, (i) =>
        d.put(`img${i}.json`, mnistInputText(mnist, i, layout), { contentType: 'application/json' }),
      ).then(() => prefix);
      uploaded.set(prefix, done);
    }
    return done;
  };

  // The manifest is read at collection time (small, synchronous): one test per MNIST model. A skipped
  // suite (no ../shared) is still collected, so read it only when it is there.
  const models = sharedDir()
    ? (
        JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { models: ManifestModel[] }
      ).models.filter((m) => m.reference_eval_numpy)
    : [];

  for (const entry of models) {
    it(`${entry.file}: one output per input, counts add up, accuracy equals the engine's`, async () => {
      const layout: MnistLayout = {
        shape: entry.inputs[0].shape.length === 2 ? 'flat' : 'image',
        scale: entry.reference_eval_numpy?.better_preprocessing.startsWith('raw') ? 1 : 'div255',
      };
      const t0 = performance.now();
      const lap = (() => {
        let last = t0;
        const laps: string[] = [];
        return (what?: string) => {
          if (what) laps.push(`${what} ${((performance.now() - last) / 1000).toFixed(1)} s`);
          last = performance.now();
          return laps.join(', ');
        };
      })();
      const sourcePrefix = await inputsFor(layout);
      lap('upload');
      const source = driver(SOURCE_BUCKET, sourcePrefix);
      const target = driver(TARGET_BUCKET, `${entry.file}/`);
      const architecture = entry.companion_architecture_file
        ? join(dir, entry.companion_architecture_file)
        : undefined;
      const model = await openModel(join(dir, entry.file), { architecture });
      try {
        const report = await runBatchJob({
          model: { engine: model.engine, sha256: model.sha256, name: entry.file },
          source,
          target,
        });
        lap(`job (${report.filesPerSecond} files/s)`);
        expect(report.status).toBe('completed');
        expect(report.counts).toMatchObject({
          listed: 10_000,
          scored: 10_000,
          failed: 0,
          skipped: 0,
          records: 10_000,
          total: 10_000,
        });
        expect(report.counts.scored + report.counts.failed + report.counts.skipped).toBe(report.counts.total);
        expect(report.failures).toEqual([]);

        // The target holds exactly one output per input, plus keras-batch's own files.
        lap();
        const keys = await listKeys(target);
        expect(new Set(keys).size).toBe(keys.length);
        const { outputs, own } = splitTargetKeys(keys);
        expect(outputs.length).toBe(10_000);
        expect([...outputs].sort()).toEqual(
          range(mnist.count)
            .map((i) => `img${i}.json`)
            .sort(),
        );
        const jobDir = `_keras-batch/${report.jobId}/`;
        expect(own).toContain(`${jobDir}report.json`);
        expect(own).toContain(`${jobDir}errors.jsonl`);
        for (const k of own)
          expect(k.startsWith(jobDir) || /^_keras-batch\/ledger\/[^/]+\.jsonl$/.test(k), k).toBe(true);
        const written = JSON.parse(
          Buffer.from((await target.get(`${jobDir}report.json`)).body).toString(),
        ) as JobReport;
        expect(written).toEqual(report);
        expect((await target.get(`${jobDir}errors.jsonl`)).body.byteLength).toBe(0);

        // Read every output back (bounded concurrency): the seed's format, and the predicted class.
        const classes = await mapLimit(range(mnist.count), IO_CONCURRENCY, async (i) => {
          const name = `img${i}.json`;
          return checkOutput(name, Buffer.from((await target.get(name)).body).toString('utf8'));
        });
        lap('read back');
        const jobCorrect = classes.filter((c, i) => c === mnist.labels[i]).length;

        const engineRight = await engineCorrect(model.engine, mnist, layout.scale === 1 ? 1 : 1 / 255);
        console.info(`${entry.file}: ${lap('engine')}`);
        expect(jobCorrect).toBe(engineRight);
        expect(jobCorrect / mnist.count).toBeGreaterThan(0.95);
      } finally {
        await model.engine.dispose();
      }
    }, 600_000);
  }
});
