import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { JobFormats, ResumeLedger, runBatchJob } from '../batch/index.js';
import { openModelInThread } from '../engine/model-thread/index.js';
import type { OpenModel } from '../engine/open-model.js';
import type { BucketDriver, S3Credentials } from '../storage/index.js';
import { errorMessage } from '../util/errors.js';
import { workerOptions } from './defaults.js';
import { isTransient, modelFailure, WorkerModels } from './model-cache.js';
import { partSource, partStart } from './part-plan.js';
import { redisOptions } from './redis.js';
import { noRepository, ShardBuckets } from './shard-buckets.js';
import { shardInputs } from './shard-inputs.js';
import { partCounts, partKey, partTarget } from './shard-parts.js';
import type { ShardRepository } from './shard-repository.js';
import { shardSource } from './shard-source.js';
import {
  isModelVersion,
  SHARD_QUEUE,
  type ShardData,
  ShardJobFailed,
  type ShardModelRef,
  type ShardResult,
  shardRunId,
} from './types.js';

/** Options of {@link startShardWorker}. */
export interface ShardWorkerOptions {
  redisUrl: string;
  /** Shards scored at once by this process. Default 1. */
  concurrency?: number;
  /** Inference threads (as the engine uses them: docs/engine.md, "Threads and speed"). Default: all cores. */
  threads?: number;
  /** Threads reading and writing local folders (0: on the shard's thread). Default: the batch runner's. */
  ioThreads?: number;
  /** Models kept loaded (LRU by sha256). Default 2. */
  models?: number;
  /** Most bytes of weights kept compiled (default: the model cache's, 2 GiB). */
  modelBytes?: number;
  /** How long a shard's lock lasts without renewal: a killed worker's shard is retried after about this. */
  lockDurationMs?: number;
  /** S3 credentials from this worker's own configuration (else the AWS environment/profile chain). */
  credentials?: S3Credentials;
  /** The model repository, for shards of `serve --redis` jobs (stored model versions and connections). */
  repository?: ShardRepository;
  /** Called with a line about each shard and each Redis error (for logs). */
  log?: WorkerLog;
}

/** A log line: level, message and fields. */
export type WorkerLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** A running worker: `close()` finishes the shards in hand and stops taking new ones. */
export interface ShardWorker {
  readonly id: string;
  close(): Promise<void>;
  /** The shards being scored now, as `job/shard` (what a stop that times out leaves to their lock's expiry). */
  inHand(): string[];
}

/** Fails the shard without retry (the job fails once with this reason), or lets BullMQ retry a transient fault. */
const giveUp = (reason: string, error: unknown): Error =>
  isTransient(error)
    ? new Error(`${reason}: ${errorMessage(error)}`)
    : new ShardJobFailed(`${reason}: ${errorMessage(error)}`);

/**
 * Loads a shard's model, from its file or a stored version through the repository, the way a server does: read,
 * compiled and then run in a model thread of its own (engine/model-thread), within the `model-load-seconds`
 * limit, so a slow or hostile model never stalls the worker's event loop (its Redis lock renewals included).
 */
function modelLoader(options: ShardWorkerOptions, log: WorkerLog) {
  const { repository } = options;
  const fromFile = (path: string, ref: ShardModelRef) => {
    log('info', 'loading model', { model: ref.name, sha256: ref.sha256, from: 'file' });
    return openModelInThread(
      { path },
      {
        architecture: ref.architecture ? { path: ref.architecture } : undefined,
        name: path.split(/[\\/]/).pop() ?? path,
        threads: options.threads,
      },
    );
  };
  return async (ref: ShardModelRef): Promise<OpenModel> => {
    if (!isModelVersion(ref)) return fromFile(ref.path, ref);
    if (!repository) {
      // `score --redis --model <stored model>`: on the coordinator's machine its copy of the file is here.
      if (ref.path && existsSync(ref.path)) return fromFile(ref.path, ref);
      throw noRepository();
    }
    log('info', 'loading model', { model: ref.name, sha256: ref.sha256, from: 'repository' });
    const files = await repository.modelFiles(ref);
    return openModelInThread(
      { bytes: files.file },
      {
        architecture: files.architecture ? { bytes: files.architecture } : undefined,
        name: files.fileName,
        threads: options.threads,
      },
    );
  };
}

/** The resume ledgers of the last runs, each read once per worker (shards are disjoint: later chunks change nothing). */
class RunLedgers {
  private readonly byRun = new Map<string, Promise<Map<string, string>>>();

  get(data: ShardData, target: BucketDriver): Promise<Map<string, string>> {
    const key = `${data.run ?? data.jobId}\u0000${data.model.sha256}`;
    let done = this.byRun.get(key);
    if (!done) {
      done = ResumeLedger.load(target, data.model.sha256);
      this.byRun.set(key, done);
      done.catch(() => this.byRun.delete(key));
      while (this.byRun.size > 2) this.byRun.delete(this.byRun.keys().next().value as string);
    }
    return done;
  }
}

/** What scoring a shard needs from its worker. */
interface ShardScorer {
  id: string;
  options: ShardWorkerOptions;
  log: WorkerLog;
  buckets: ShardBuckets;
  ledgers: RunLedgers;
  /** A Redis client of the worker's own (split files' parts), made when first needed. */
  redis(): Redis;
}

/** Scores one shard with the batch runner: the inputs not done yet, from the shard's source into its target. */
async function scoreShard(
  scorer: ShardScorer,
  job: Job<ShardData, ShardResult>,
  model: OpenModel,
): Promise<ShardResult> {
  const { log } = scorer;
  const data = job.data;
  let source: BucketDriver;
  let target: BucketDriver;
  try {
    [source, target] = await Promise.all([
      scorer.buckets.open(data, 'source'),
      scorer.buckets.open(data, 'target'),
    ]);
  } catch (error) {
    throw giveUp(`the source or target of job ${data.jobId} cannot be opened`, error);
  }
  const shardId = shardRunId(data.jobId, data.shard);
  // Each attempt writes its own ledger chunks (a new name), and reads every earlier attempt's.
  const runId = `${shardId}-${randomBytes(4).toString('hex')}`;
  // Where each input's output goes (a record file's may differ from its key): what resuming looks for.
  const formats = new JobFormats(model.engine.inputs, model.engine.outputs, data.formats);
  const inputs = await shardInputs(
    target,
    data,
    shardId,
    data.resume ? await scorer.ledgers.get(data, target) : null,
    (key) => {
      try {
        return formats.outputKey(key);
      } catch {
        return key; // a format the model cannot write (its own failure comes when the file is scored)
      }
    },
  );
  // A part of a split JSON Lines or CSV file: its bytes only (part-plan.ts), written to a part object joined
  // when all are there.
  const part = data.part;
  const [fileKey, fileEtag] = data.entries[0] ?? ['', ''];
  const outputKey = part ? formats.outputKey(fileKey) : null;
  const numbering = part && partStart(part);
  const report = await runBatchJob({
    model: { engine: model.engine, sha256: model.sha256, name: data.model.name },
    source: shardSource(part ? partSource(source, fileKey, fileEtag, part) : source, inputs.todo),
    target: part && outputKey ? partTarget(target, outputKey, partKey(data, part)) : target,
    jobId: runId,
    batchSize: data.batchSize,
    concurrency: data.concurrency,
    ioThreads: scorer.options.ioThreads,
    maxFileBytes: data.maxFileBytes,
    include: data.include,
    formats: numbering ? { ...data.formats, part: numbering } : data.formats,
    writeReport: false,
    preflight: false, // the job's buckets were checked once, by its coordinator
    // A retried shard (its worker died): the inputs in flight then go alone, one that kills a worker alone is
    // failed "crashed the worker; skipped" (docs/limits.md).
    crashScope: `${shardId}-`,
    onWarning: (message) => log('warn', message, { job: data.jobId, shard: data.shard }),
  });
  const result: ShardResult = {
    shard: data.shard,
    scored: report.counts.scored + inputs.recovered,
    failed: report.counts.failed,
    skipped: inputs.skipped,
    recovered: inputs.recovered,
    records: report.counts.records + inputs.recoveredRecords,
    nonFinite: report.counts.nonFinite,
    failedRecords: report.counts.failedRecords,
    recordFileRecords: report.counts.recordFileRecords,
    warnings: report.warnings,
    failures: report.failures,
    attempt: Math.max(job.attemptsStarted ?? 0, job.attemptsMade + 1),
    worker: scorer.id,
  };
  if (part && outputKey) {
    const redis = scorer.redis();
    Object.assign(
      result,
      await partCounts(redis, target, data, part, outputKey, report.counts.scored, inputs),
    );
  }
  log('info', 'shard done', {
    job: data.jobId,
    shard: data.shard,
    scored: result.scored,
    skipped: inputs.skipped,
    recovered: inputs.recovered,
  });
  return result;
}

/**
 * Starts a BullMQ worker that scores shards: loads the shard's model once (cached by sha256; a file path, or a
 * stored version through the repository), skips inputs already done (an earlier attempt of the same shard, or
 * with `resume` an earlier job with the same model), scores the rest with the batch runner and returns the
 * per-file outcomes as the job's return value. A model that cannot be loaded, or a stored reference the worker
 * cannot resolve, fails the shard without retry (BullMQ's UnrecoverableError); other errors are retried.
 */
export async function startShardWorker(options: ShardWorkerOptions): Promise<ShardWorker> {
  const id = `${hostname()}:${process.pid}`;
  const log: WorkerLog = options.log ?? (() => undefined);
  const repository = options.repository;
  const settings = workerOptions({
    concurrency: options.concurrency,
    models: options.models,
    lockDurationMs: options.lockDurationMs,
  });
  const models = new WorkerModels(
    { maxModels: settings.models, maxBytes: options.modelBytes },
    modelLoader(options, log),
  );
  const buckets = new ShardBuckets(options.credentials, repository);
  let client: Redis | null = null;
  const redis = () => {
    if (!client) {
      client = new Redis(redisOptions(options.redisUrl));
      client.on('error', () => undefined);
    }
    return client;
  };
  const scorer: ShardScorer = { id, options, log, buckets, ledgers: new RunLedgers(), redis };

  const inHand = new Set<string>();
  const processShard = async (job: Job<ShardData, ShardResult>): Promise<ShardResult> => {
    const data = job.data;
    const name = `${data.jobId}/${data.shard}`;
    inHand.add(name);
    try {
      return await scoreShardJob(job, data);
    } finally {
      inHand.delete(name);
    }
  };
  const scoreShardJob = async (job: Job<ShardData, ShardResult>, data: ShardData): Promise<ShardResult> => {
    let lease: Awaited<ReturnType<WorkerModels['acquire']>>;
    try {
      lease = await models.acquire(data.model);
    } catch (error) {
      if (isTransient(error)) throw error;
      throw new ShardJobFailed(modelFailure(data.model, error));
    }
    try {
      return await scoreShard(scorer, job, lease.model);
    } finally {
      lease.release();
    }
  };

  const lockDuration = settings.lockDurationMs;
  const worker = new Worker<ShardData, ShardResult>(SHARD_QUEUE, processShard, {
    connection: redisOptions(options.redisUrl),
    concurrency: settings.concurrency,
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
    inHand: () => [...inHand],
    async close() {
      await worker.close();
      await client?.quit().catch(() => undefined);
      await models.close();
      await buckets.close();
      await repository?.close();
    },
  };
}
