import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { runBatchJob } from '../batch/index.js';
import { type BucketDriver, openBucket, type S3Credentials } from '../storage/index.js';
import { errorMessage } from '../util/errors.js';
import { ModelCache, modelFailure } from './model-cache.js';
import { redisOptions } from './redis.js';
import { loadShardLedger } from './shard-ledger.js';
import { shardSource } from './shard-source.js';
import {
  SHARD_QUEUE,
  type ShardData,
  type ShardEntry,
  type ShardResult,
  shardRunId,
  UNRECOVERABLE_PREFIX,
} from './types.js';

/** Options of {@link startShardWorker}. */
export interface ShardWorkerOptions {
  redisUrl: string;
  /** Shards scored at once by this process. Default 1. */
  concurrency?: number;
  /** onnxruntime intra-op threads. Default: all cores. */
  threads?: number;
  /** Models kept loaded (LRU by sha256). Default 2. */
  models?: number;
  /** How long a shard's lock lasts without renewal: a killed worker's shard is retried after about this. */
  lockDurationMs?: number;
  /** S3 credentials from this worker's own configuration (else the AWS environment/profile chain). */
  credentials?: S3Credentials;
  /** Called with a line about each shard and each Redis error (for logs). */
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** A running worker: `close()` finishes the shards in hand and stops taking new ones. */
export interface ShardWorker {
  readonly id: string;
  close(): Promise<void>;
}

/**
 * Starts a BullMQ worker that scores shards: loads the shard's model once (cached by sha256), skips inputs an
 * earlier attempt of the same shard already wrote (its ledger), scores the rest with the batch runner and
 * returns the per-file outcomes as the job's return value. A model that cannot be loaded fails the shard
 * without retry (BullMQ's UnrecoverableError); any other error is retried with backoff by BullMQ.
 */
export async function startShardWorker(options: ShardWorkerOptions): Promise<ShardWorker> {
  const id = `${hostname()}:${process.pid}`;
  const log = options.log ?? (() => undefined);
  const models = new ModelCache(options.models ?? 2, options.threads);
  const buckets = new Map<string, BucketDriver>();
  const bucket = (location: string, data: ShardData, create: boolean) => {
    const key = `${location}\u0000${data.bucket.endpoint ?? ''}\u0000${create}`;
    let driver = buckets.get(key);
    if (!driver) {
      driver = openBucket(location, {
        fs: { create },
        s3: {
          ...data.bucket,
          credentials: options.credentials,
          maxSockets: Math.max(64, data.concurrency * 2),
        },
      });
      buckets.set(key, driver);
    }
    return driver;
  };

  const processShard = async (job: Job<ShardData, ShardResult>): Promise<ShardResult> => {
    const data = job.data;
    let model: Awaited<ReturnType<ModelCache['get']>>;
    try {
      model = await models.get(data.model);
    } catch (error) {
      throw new UnrecoverableError(`${UNRECOVERABLE_PREFIX}${modelFailure(data.model, error)}`);
    }
    const source = bucket(data.source, data, false);
    const target = bucket(data.target, data, true);
    const shardId = shardRunId(data.jobId, data.shard);
    // Each attempt writes its own ledger chunks (a new name), and reads every earlier attempt's.
    const runId = `${shardId}-${randomBytes(4).toString('hex')}`;
    const done = await loadShardLedger(target, shardId, data.model.sha256);
    let recovered = 0;
    let todo: ShardEntry[] = data.entries;
    if (done.size > 0) {
      todo = [];
      for (const entry of data.entries) {
        if (done.get(entry[0]) === entry[1] && (await target.head(entry[0]))) recovered += 1;
        else todo.push(entry);
      }
    }
    const report = await runBatchJob({
      model: { engine: model.engine, sha256: model.sha256, name: data.model.name },
      source: shardSource(source, todo),
      target,
      jobId: runId,
      batchSize: data.batchSize,
      concurrency: data.concurrency,
      maxFileBytes: data.maxFileBytes,
      include: data.include,
      writeReport: false,
    });
    const result: ShardResult = {
      shard: data.shard,
      scored: report.counts.scored + recovered,
      failed: report.counts.failed,
      recovered,
      records: report.counts.records,
      failures: report.failures,
      attempt: Math.max(job.attemptsStarted ?? 0, job.attemptsMade + 1),
      worker: id,
    };
    log('info', 'shard done', { job: data.jobId, shard: data.shard, scored: result.scored, recovered });
    return result;
  };

  const lockDuration = options.lockDurationMs ?? 30_000;
  const worker = new Worker<ShardData, ShardResult>(SHARD_QUEUE, processShard, {
    connection: redisOptions(options.redisUrl),
    concurrency: options.concurrency ?? 1,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 5,
    autorun: true,
  });
  worker.on('error', (error) => log('warn', `redis: ${errorMessage(error)}`));
  worker.on('failed', (job, error) =>
    log('warn', 'shard failed', {
      job: job?.data.jobId,
      shard: job?.data.shard,
      reason: errorMessage(error),
    }),
  );
  await worker.waitUntilReady();
  return {
    id,
    async close() {
      await worker.close();
      await models.close();
      await Promise.all([...buckets.values()].map((b) => b.close().catch(() => undefined)));
    },
  };
}
