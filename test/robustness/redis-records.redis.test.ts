/**
 * Record counts survive Redis losing everything: a `serve --redis` job with a real worker, redis-server started
 * without persistence, SIGKILLed mid-job and restarted empty. The shards whose results Redis lost are scored
 * again by the worker, which finds most of their outputs in the shard ledgers (recovered): their records must be
 * counted too (they read 118,000 of 120,000 before). 4,000 inputs, so the job is still running when Redis dies. Each input holds 3 records, so files ≠ records.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { type JobServer, startDeploymentJob, startJobServer, waitJob } from '../helpers/serve-job.js';
import { repoRoot } from '../helpers/shared.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const FILES = 4000;
const RECORDS_PER_FILE = 3;
const MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');

describe('robustness: records exact after a Redis SIGKILL without persistence', () => {
  let redis: TestRedis;
  let work: string;
  let s: JobServer | null = null;
  let worker: WorkerProcess | null = null;
  const files = () => join(work, 'files');

  beforeAll(async () => {
    redis = await startTestRedis(); // no AOF, no RDB: a crash loses everything
    work = await mkdtemp(join(tmpdir(), 'kb-redis-records-'));
    await mkdir(join(files(), 'in'), { recursive: true });
    const one = JSON.parse(await readFile(join(repoRoot, 'examples', 'input', 'img1.json'), 'utf8')) as {
      values: unknown[];
    };
    const three = JSON.stringify({ values: [one.values[0], one.values[0], one.values[0]] });
    await writeFile(join(files(), 'in', 'img0.json'), three);
    for (let i = 1; i < FILES; i += 1)
      await copyFile(join(files(), 'in', 'img0.json'), join(files(), 'in', `img${i}.json`));
  }, 60_000);

  afterAll(async () => {
    await worker?.kill();
    await s?.server.kill();
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the job completes with every record counted once', async () => {
    const dataDir = join(work, 'data');
    s = await startJobServer(dataDir, files(), [
      '--redis',
      redis.url,
      '--shard-size',
      '50',
      '--max-queued-shards',
      '4',
    ]);
    worker = await startWorker(redis.url, ['--data-dir', dataDir]);
    const jobId = await startDeploymentJob(s, {
      model: MODEL,
      name: 'digits',
      files: files(),
      source: 'in',
      target: 'out',
    });
    const mid = await waitJob(s, jobId, 180_000, (j) => j.counts.scored >= FILES * 0.1);
    expect(mid.status).toBe('running');
    await redis.crash();
    await sleep(1500);
    await redis.start();
    const job = await waitJob(s, jobId, 400_000);
    console.log(
      `after a Redis SIGKILL at ${mid.counts.scored} scored: ${job.status} ${JSON.stringify(job.counts)}`,
    );
    expect(job.status).toBe('completed');
    expect(job.counts).toMatchObject({ total: FILES, scored: FILES, failed: 0, skipped: 0 });
    expect(job.counts.records).toBe(FILES * RECORDS_PER_FILE);
  }, 600_000);
});
