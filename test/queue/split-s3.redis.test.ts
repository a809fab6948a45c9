/**
 * Large JSON Lines and CSV files on a real S3 server (versitygw) split into byte-range parts over two
 * `keras-batch worker` processes on a real redis-server: the coordinator reads each file once to cut it, each
 * worker reads its part's bytes with an HTTP range request, and the joined outputs in the S3 target are byte
 * for byte a local run's on the same files.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import type { DistributedReport } from '../../src/queue/index.js';
import { type BucketDriver, listEntries } from '../../src/storage/index.js';
import { exampleInputs, exampleModel } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const values = exampleInputs().map((text) => JSON.stringify(JSON.parse(text).values));
const SPLIT = 150 * 1024;

describe('large files on S3 split over queue workers, each reading its part by range', () => {
  let s3: S3TestServer;
  let redis: TestRedis;
  let bucket: BucketDriver;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let workers: WorkerProcess[] = [];
  const files: Record<string, string> = {};

  beforeAll(async () => {
    [s3, redis] = await Promise.all([startS3Server(), startTestRedis()]);
    await s3.createBucket('split');
    bucket = testBucket(s3, 'split');
    env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    };
    dir = await mkdtemp(join(tmpdir(), 'kb-split-s3-'));
    const lines = Array.from({ length: 500 }, (_, i) =>
      i === 300 ? 'not json' : i === 20 ? '' : `{"values": ${values[i % 10]}}`,
    );
    files['big.jsonl'] = `${lines.join('\n')}\n`;
    const header = `id,${Array.from({ length: 784 }, (_, i) => `p${i}`).join(',')}`;
    const rows = Array.from({ length: 250 }, (_, i) => {
      const flat = JSON.parse(values[i % 10]).flat(3) as number[];
      return i === 120 ? `r${i},${flat.slice(2).join(',')}` : `"r,${i}",${flat.join(',')}`;
    });
    files['table.csv'] = `${header}\r\n${rows.join('\r\n')}\r\n`;
    await mkdir(join(dir, 'in'));
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, 'in', name), text);
      await bucket.put(`in/${name}`, text);
    }
    workers = await Promise.all([startWorker(redis.url, [], { env }), startWorker(redis.url, [], { env })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await bucket?.close();
    await Promise.all([redis?.stop(), s3?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("scores every part on the workers and joins the S3 outputs into the local run's bytes", async () => {
    const score = (source: string, target: string, args: string[]) =>
      runCli(
        [
          ...['score', '--model', exampleModel, '--source', source, '--target', target],
          ...['--json', '--batch-size', '32', '--id-column', 'id', ...args],
        ],
        { env },
      ).then((r) => ({ ...r, report: JSON.parse(r.stdout) as DistributedReport & JobReport }));
    const local = await score(join(dir, 'in'), join(dir, 'out'), []);
    expect(local.code, local.stderr).toBe(3);
    const dist = await score('s3://split/in', 's3://split/out', [
      ...['--endpoint', s3.endpoint, '--redis', redis.url, '--split-size', `${SPLIT}`],
    ]);
    expect(dist.code, dist.stderr).toBe(3);
    const parts = Object.values(files).reduce((n, t) => n + Math.ceil(Buffer.byteLength(t) / SPLIT), 0);
    expect(parts).toBeGreaterThanOrEqual(6);
    expect(dist.report.shards).toBe(parts);
    expect(dist.report.workers).toHaveLength(2);
    expect(dist.report.counts).toMatchObject({
      listed: 2,
      scored: 2,
      failed: 0,
      records: local.report.counts.records,
      failedRecords: 2,
    });
    const where = (r: JobReport) => r.failures.map((f) => `${f.file}:${f.line}:${f.code}`).sort();
    expect(where(dist.report)).toEqual(['big.jsonl:301:INPUT_NOT_JSON', 'table.csv:122:INPUT_CSV_RAGGED']);
    expect(where(dist.report)).toEqual(where(local.report));
    for (const name of Object.keys(files)) {
      const got = Buffer.from((await bucket.get(`out/${name}`)).body).toString();
      expect(got, name).toBe(await readFile(join(dir, 'out', name), 'utf8'));
    }
    const left: string[] = [];
    for await (const e of listEntries(bucket, 'out/_keras-batch/parts/')) left.push(e.key);
    expect(left).toEqual([]);
  }, 180_000);
});
