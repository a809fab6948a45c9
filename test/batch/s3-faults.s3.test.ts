/**
 * A batch job through a fault-injecting proxy in front of the S3 test server, for both the source and the
 * target: 503 SlowDown answers, slow responses and dropped connections (before forwarding and halfway through
 * a response) at rates a throttled or flaky object store really shows. The job still completes with nothing
 * lost: every input's output is present, whole and right, the report adds up, nothing failed, and the proxy's
 * counters prove the faults were there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobReport, runBatchJob } from '../../src/batch/index.js';
import { type OpenModel, openModel } from '../../src/engine/open-model.js';
import { readInputFile } from '../../src/scoring/index.js';
import { type BucketDriver, createS3Driver } from '../../src/storage/index.js';
import {
  checkOutput,
  exampleInputs,
  exampleModel,
  listKeys,
  mapLimit,
  range,
  splitTargetKeys,
} from '../helpers/batch-files.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';

const FILES = 1000;
const inputs = exampleInputs();
/** Two levels of keys, so the listing walks nested prefixes too. */
const inputKey = (i: number) => `part${i % 4}/img${String(i).padStart(4, '0')}.json`;
const FAULTS = { errorRate: 0.1, dropRate: 0.03, slowRate: 0.1, slowMs: 250 } as const;

let server: S3TestServer;
let proxy: FaultProxy;
let model: OpenModel;
const drivers: BucketDriver[] = [];

/**
 * A driver to the server, directly or through the proxy. 13% of requests fail (503 or dropped), so a request
 * fails for good after n attempts with probability 0.13^n: with the default 5 attempts that is ~4e-5 per
 * request, ~8% for a job of ~2,100 requests — more attempts make "nothing lost" a property, not luck.
 */
function driver(bucket: string, through: 'proxy' | 'direct', pageSize?: number) {
  const d = createS3Driver({
    endpoint: through === 'proxy' ? proxy.endpoint : server.endpoint,
    bucket,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: through === 'proxy' ? 10 : 3,
    pageSize,
  });
  drivers.push(d);
  return d;
}

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket('faults-in');
  await server.createBucket('faults-out');
  proxy = await startFaultProxy({ target: server.endpoint, seed: 20261127 });
  model = await openModel(exampleModel, { threads: 1 });
  const seed = driver('faults-in', 'direct');
  await mapLimit(range(FILES), 32, (i) => seed.put(inputKey(i), inputs[i % inputs.length]));
});
afterAll(async () => {
  for (const d of drivers) await d.close();
  await model?.engine.dispose();
  await proxy?.close();
  await server?.stop();
});

describe('a batch job through 503s, slow responses and dropped connections', () => {
  it(`scores ${FILES} files with nothing lost, and the faults were really injected`, async () => {
    const before = { ...proxy.stats };
    proxy.setFaults(FAULTS);
    let report: JobReport;
    try {
      report = await runBatchJob({
        model: { engine: model.engine, sha256: model.sha256, name: 'mnist-cnn.keras' },
        // Pages of 100 keys: the listing itself makes ten requests through the faults.
        source: driver('faults-in', 'proxy', 100),
        target: driver('faults-out', 'proxy'),
        batchSize: 64,
        concurrency: 16,
      });
    } finally {
      proxy.setFaults({ errorRate: 0, dropRate: 0, slowRate: 0 });
    }
    const injected = {
      requests: proxy.stats.requests - before.requests,
      errors: proxy.stats.errors - before.errors,
      drops: proxy.stats.drops - before.drops,
      slowed: proxy.stats.slowed - before.slowed,
    };
    console.info(
      `s3 faults: ${JSON.stringify(injected)}; job ${report.durationMs} ms, ${report.filesPerSecond} files/s`,
    );
    // At least a get and a put per file went through the proxy, and the faults hit at about their rates.
    expect(injected.requests).toBeGreaterThan(2 * FILES);
    expect(injected.errors).toBeGreaterThan(injected.requests * FAULTS.errorRate * 0.6);
    expect(injected.drops).toBeGreaterThan(injected.requests * FAULTS.dropRate * 0.5);
    expect(injected.slowed).toBeGreaterThan(injected.requests * FAULTS.slowRate * 0.6);

    expect(report.status).toBe('completed');
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({
      listed: FILES,
      scored: FILES,
      failed: 0,
      skipped: 0,
      records: FILES,
      total: FILES,
    });

    // Checked directly on the server, not through the proxy.
    const target = driver('faults-out', 'direct');
    const keys = await listKeys(target);
    expect(new Set(keys).size).toBe(keys.length);
    const { outputs, own } = splitTargetKeys(keys);
    expect([...outputs].sort()).toEqual(range(FILES).map(inputKey).sort());
    const jobDir = `_keras-batch/${report.jobId}/`;
    expect(own).toContain(`${jobDir}report.json`);
    expect(own).toContain(`${jobDir}errors.jsonl`);
    for (const k of own)
      expect(k.startsWith(jobDir) || /^_keras-batch\/ledger\/[^/]+\.jsonl$/.test(k), k).toBe(true);
    const written = JSON.parse(Buffer.from((await target.get(`${jobDir}report.json`)).body).toString());
    expect(written).toEqual(report);

    const classes = await mapLimit(range(FILES), 16, async (i) =>
      checkOutput(inputKey(i), Buffer.from((await target.get(inputKey(i))).body).toString('utf8')),
    );
    // Each copy of an example image got the class the same image gets when scored alone.
    const alone = await Promise.all(
      inputs.map(async (text) => {
        const records = readInputFile(new TextEncoder().encode(text), model.engine.inputs);
        const [out] = await model.engine.predict(records.tensors);
        return out.data.indexOf(Math.max(...out.data));
      }),
    );
    for (let i = 0; i < FILES; i += 1) expect(classes[i], inputKey(i)).toBe(alone[i % inputs.length]);
  }, 300_000);
});
