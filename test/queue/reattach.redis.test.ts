/**
 * A coordinator that stops coordinating (`detach`: its server is stopping) leaves the job's shards in Redis;
 * run again with the same job id, it re-attaches: shards it had counted are neither enqueued nor counted again,
 * the others are awaited or enqueued, and every input ends counted once. Worker and coordinator run in this
 * process, on a real redis-server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/engine/open-model.js';
import {
  type DistributedJobOptions,
  QueueError,
  redisOptions,
  runDistributedJob,
  SHARD_QUEUE,
  type ShardWorker,
  startShardWorker,
} from '../../src/queue/index.js';
import { createFsDriver } from '../../src/storage/index.js';
import {
  countFolderOutputs,
  exampleInputs,
  exampleModel,
  range,
  writeFiles,
} from '../helpers/batch-files.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';

const FILES = 600;

describe('a detached coordinator re-attaches to its job', () => {
  let redis: TestRedis;
  let dir: string;
  let worker: ShardWorker;
  let sha256: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kb-reattach-'));
    const inputs = exampleInputs();
    await writeFiles(
      join(dir, 'in'),
      FILES,
      (i) => `img${i}.json`,
      (i) => inputs[i % 10],
    );
    const model = await openModel(exampleModel);
    sha256 = model.sha256;
    await model.engine.dispose();
    worker = await startShardWorker({ redisUrl: redis.url, threads: 1, lockDurationMs: 4000 });
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops without removing its shards, then finishes them counting each once', async () => {
    const source = createFsDriver({ root: join(dir, 'in') });
    const target = createFsDriver({ root: join(dir, 'out'), create: true });
    const detach = new AbortController();
    const options: DistributedJobOptions = {
      redisUrl: redis.url,
      jobId: 'job-reattach',
      model: { path: exampleModel, sha256, name: 'mnist-cnn.keras' },
      source,
      target,
      sourceText: join(dir, 'in'),
      targetText: join(dir, 'out'),
      shardSize: 50,
      maxQueuedShards: 2,
      batchSize: 8,
      concurrency: 1,
      writeReport: false,
    };
    const first = runDistributedJob({
      ...options,
      detach: detach.signal,
      onProgress: (e) => {
        if (e.counts.scored >= 100) detach.abort();
      },
    });
    await expect(first).rejects.toThrow(QueueError);
    await expect(first).rejects.toMatchObject({ code: 'QUEUE_DETACHED' });
    const queue = new Queue(SHARD_QUEUE, { connection: redisOptions(redis.url) });
    try {
      const client = (await queue.client) as unknown as Redis;
      const counted = await client.hkeys('keras-batch:job:job-reattach:results');
      expect(counted.length).toBeGreaterThanOrEqual(2);
      const left = await queue.getJobs(['waiting', 'active', 'completed']);
      expect(left.some((j) => j.data.jobId === 'job-reattach')).toBe(true); // not removed

      const report = await runDistributedJob(options);
      expect(report.status).toBe('completed');
      expect(report.counts).toMatchObject({
        listed: FILES,
        scored: FILES,
        failed: 0,
        skipped: 0,
        total: FILES,
      });
      expect(await countFolderOutputs(join(dir, 'out'))).toBe(FILES);
      const added = (await client.xrange(`bull:${SHARD_QUEUE}:events`, '-', '+'))
        .map(([, f]) => Object.fromEntries(range(f.length / 2).map((i) => [f[2 * i], f[2 * i + 1]])))
        .filter((e) => e.event === 'added' && e.jobId.startsWith('job-reattach-'))
        .map((e) => e.jobId);
      expect(added.length).toBe(FILES / 50);
      expect(new Set(added).size).toBe(added.length);
      expect(await client.exists('keras-batch:job:job-reattach:results')).toBe(0); // the job ended
    } finally {
      await queue.close();
      await source.close();
      await target.close();
    }
  }, 60_000);
});
