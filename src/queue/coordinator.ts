import { Queue, QueueEvents } from 'bullmq';
import { BATCH_DEFAULTS } from '../batch/index.js';
import { createInputFilter } from '../batch/input-filter.js';
import { newJobId } from '../batch/job-id.js';
import { writeReport } from '../batch/report.js';
import type { FileFailure, JobCounts, JobReport, ProgressEvent } from '../batch/types.js';
import type { BucketDriver } from '../storage/index.js';
import { QueueError } from './errors.js';
import { redisOptions } from './redis.js';
import {
  SHARD_QUEUE,
  type ShardBucketOptions,
  type ShardData,
  type ShardEntry,
  type ShardModelRef,
  type ShardResult,
  shardJobId,
  UNRECOVERABLE_PREFIX,
} from './types.js';

/** Options of {@link runDistributedJob}. */
export interface DistributedJobOptions {
  redisUrl: string;
  jobId?: string;
  model: ShardModelRef;
  /** The coordinator's own drivers: it lists the source and writes the report to the target. */
  source: BucketDriver;
  target: BucketDriver;
  /** The locations as workers open them (`./dir`, `s3://bucket/prefix`), and the S3 settings (no secrets). */
  sourceText: string;
  targetText: string;
  bucket?: ShardBucketOptions;
  /** Inputs per shard. Default 512. */
  shardSize?: number;
  /** Shards of this job queued or running at once; listing waits while this many are out. Default 32. */
  maxQueuedShards?: number;
  batchSize?: number;
  concurrency?: number;
  maxFileBytes?: number;
  include?: string[];
  /** Attempts per shard (exponential backoff from `backoffMs`). Default 5. */
  attempts?: number;
  backoffMs?: number;
  writeReport?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

/** The job report of a distributed job: the local report plus how it was spread. */
export interface DistributedReport extends JobReport {
  shards: number;
  /** Shards that were retried (attempt > 1) before they completed. */
  retriedShards: number;
  /** Inputs a retried shard found already written by its earlier attempt (counted once, in `scored`). */
  recovered: number;
  workers: string[];
}

interface Outstanding {
  entries: ShardEntry[];
  data?: ShardData;
}

/**
 * Runs a batch job over BullMQ workers: lists the source page by page, cuts the inputs into shards of
 * `shardSize` keys, enqueues each as a job (payload: job id, model reference, locations, keys — no secrets),
 * pauses the listing while `maxQueuedShards` of its shards are out (backpressure), and aggregates each shard's
 * result once, by shard id, however many times the shard ran. Resolves with the job's report when every shard
 * finished; fails with `QUEUE_JOB_FAILED` (after removing the job's waiting shards) when a shard fails for an
 * unrecoverable reason (a model the workers cannot load). An abort stops enqueuing and removes waiting shards.
 */
export async function runDistributedJob(o: DistributedJobOptions): Promise<DistributedReport> {
  const jobId = o.jobId ?? newJobId();
  const shardSize = o.shardSize ?? 512;
  const maxOut = o.maxQueuedShards ?? 32;
  const batchSize = o.batchSize ?? BATCH_DEFAULTS.batchSize;
  const concurrency = o.concurrency ?? BATCH_DEFAULTS.concurrency;
  const maxFileBytes = o.maxFileBytes ?? BATCH_DEFAULTS.maxFileBytes;
  const classify = createInputFilter(o.include, maxFileBytes);
  const started = new Date();
  const t0 = performance.now();
  const connection = redisOptions(o.redisUrl);
  const queue = new Queue<ShardData, ShardResult>(SHARD_QUEUE, { connection });
  const events = new QueueEvents(SHARD_QUEUE, { connection });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);

  const counts: JobCounts = { listed: 0, scored: 0, failed: 0, skipped: 0, records: 0 };
  const failures: FileFailure[] = [];
  const outstanding = new Map<string, Outstanding>();
  const finished = new Set<string>();
  const workers = new Set<string>();
  let shards = 0;
  let retriedShards = 0;
  let recovered = 0;
  let fatal: string | null = null;
  let listingDone = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const waitChange = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Counts a shard's result once, by shard id. */
  const settle = (id: string, result: ShardResult | null, failedReason?: string) => {
    const out = outstanding.get(id);
    if (!out || finished.has(id)) return;
    finished.add(id);
    outstanding.delete(id);
    if (result) {
      counts.scored += result.scored;
      counts.failed += result.failed;
      counts.records += result.records;
      recovered += result.recovered;
      if (result.attempt > 1 || result.recovered > 0) retriedShards += 1;
      workers.add(result.worker);
      failures.push(...result.failures);
    } else {
      const reason = failedReason ?? 'the shard failed';
      if (reason.startsWith(UNRECOVERABLE_PREFIX)) fatal ??= reason.slice(UNRECOVERABLE_PREFIX.length);
      counts.failed += out.entries.length;
      for (const [key] of out.entries)
        failures.push({ file: key, stage: 'score', code: 'QUEUE_SHARD_FAILED', reason });
    }
    void queue.remove(id).catch(() => undefined);
    notify();
  };
  const parse = (value: unknown): ShardResult =>
    (typeof value === 'string' ? JSON.parse(value) : value) as ShardResult;
  events.on('completed', ({ jobId: id, returnvalue }) => {
    if (outstanding.has(id)) settle(id, parse(returnvalue));
  });
  events.on('failed', ({ jobId: id }) => {
    if (outstanding.has(id)) void reconcileOne(id);
  });

  /** Looks a shard up in Redis (events can be missed across a Redis restart). */
  const reconcileOne = async (id: string) => {
    const job = await queue.getJob(id);
    const out = outstanding.get(id);
    if (!job) {
      // Lost with a Redis that restarted without its data: enqueue it again (same id, so never twice).
      if (out?.data) await addShard(out.data);
      return;
    }
    if (job.finishedOn && job.returnvalue) settle(id, parse(job.returnvalue));
    else if ((await job.getState()) === 'failed') settle(id, null, job.failedReason);
  };
  let reconciling = false;
  const reconciler = setInterval(() => {
    if (reconciling) return;
    reconciling = true;
    Promise.all([...outstanding.keys()].map((id) => reconcileOne(id).catch(() => undefined))).finally(() => {
      reconciling = false;
    });
  }, 2000);

  const progress = () => {
    const elapsedMs = performance.now() - t0;
    const done = counts.scored + counts.failed + counts.skipped;
    const filesPerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    o.onProgress?.({
      jobId,
      counts: { ...counts },
      listingDone,
      elapsedMs,
      filesPerSecond,
      etaSeconds: listingDone && filesPerSecond > 0 ? (counts.listed - done) / filesPerSecond : null,
    });
  };
  const ticker = o.onProgress ? setInterval(progress, 250) : null;

  const stopped = () => fatal !== null || o.signal?.aborted === true;
  let pending: ShardEntry[] = [];
  const enqueue = async () => {
    while (outstanding.size >= maxOut && !stopped()) await waitChange(500);
    if (stopped() || pending.length === 0) return;
    const shard = shards;
    shards += 1;
    const id = shardJobId(jobId, shard);
    const entries = pending;
    pending = [];
    const data: ShardData = {
      jobId,
      shard,
      model: o.model,
      source: o.sourceText,
      target: o.targetText,
      bucket: o.bucket ?? {},
      batchSize,
      concurrency,
      maxFileBytes,
      include: o.include,
      entries,
    };
    outstanding.set(id, { entries, data });
    await addShard(data);
  };

  const addShard = async (data: ShardData) => {
    await queue.add('shard', data, {
      jobId: shardJobId(jobId, data.shard),
      attempts: o.attempts ?? 5,
      backoff: { type: 'exponential', delay: o.backoffMs ?? 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  };

  try {
    await events.waitUntilReady();
    for await (const page of o.source.list(undefined, { signal: o.signal })) {
      for (const entry of page) {
        const kind = classify(entry);
        if (kind.kind === 'ignore') continue;
        counts.listed += 1;
        if (kind.kind === 'fail') {
          counts.failed += 1;
          failures.push({ file: entry.key, stage: 'list', code: kind.code, reason: kind.reason });
          continue;
        }
        pending.push([entry.key, entry.etag, entry.size]);
        if (pending.length >= shardSize) await enqueue();
        if (stopped()) break;
      }
      if (stopped()) break;
    }
    await enqueue();
    listingDone = !stopped();
    while (outstanding.size > 0 && !stopped()) await waitChange(1000);
  } catch (error) {
    if (!o.signal?.aborted) throw error;
  } finally {
    clearInterval(reconciler);
    if (ticker) clearInterval(ticker);
    // Canceled or failed: the job's shards no worker has taken yet are removed (taken ones finish).
    if (stopped()) await removeWaiting(queue, [...outstanding.keys()]).catch(() => undefined);
    await events.close().catch(() => undefined);
  }
  await queue.close().catch(() => undefined);
  if (fatal) throw new QueueError('QUEUE_JOB_FAILED', `job ${jobId} failed: ${fatal}`);
  progress();
  const canceled = o.signal?.aborted === true;
  const report = buildDistributedReport({
    jobId,
    o,
    started,
    durationMs: performance.now() - t0,
    counts,
    failures,
    canceled,
    batchSize,
    concurrency,
  });
  Object.assign(report, { shards, retriedShards, recovered, workers: [...workers].sort() });
  if (o.writeReport ?? true) report.reportKey = await writeReport(o.target, report);
  return report;
}

/** Removes a job's shards that no worker has taken yet (active ones finish; their results are ignored). */
async function removeWaiting(queue: Queue<ShardData, ShardResult>, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized'))
        await job.remove().catch(() => undefined);
    }),
  );
}

function buildDistributedReport(input: {
  jobId: string;
  o: DistributedJobOptions;
  started: Date;
  durationMs: number;
  counts: JobCounts;
  failures: FileFailure[];
  canceled: boolean;
  batchSize: number;
  concurrency: number;
}): DistributedReport {
  const { counts, durationMs } = input;
  const total = counts.scored + counts.failed + counts.skipped;
  const seconds = durationMs / 1000;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    jobId: input.jobId,
    status: input.canceled ? 'canceled' : counts.failed > 0 ? 'completed_with_failures' : 'completed',
    stoppedReason: input.canceled ? 'canceled' : null,
    model: {
      name: input.o.model.name,
      sha256: input.o.model.sha256,
      backend: 'onnxruntime (bullmq workers)',
    },
    source: input.o.sourceText,
    target: input.o.targetText,
    startedAt: input.started.toISOString(),
    finishedAt: new Date(input.started.getTime() + durationMs).toISOString(),
    durationMs: Math.round(durationMs),
    counts: { ...counts, total },
    filesPerSecond: seconds > 0 ? round(total / seconds) : 0,
    recordsPerSecond: seconds > 0 ? round(counts.records / seconds) : 0,
    batchSize: input.batchSize,
    concurrency: input.concurrency,
    stageMs: { list: 0, read: 0, parse: 0, score: 0, format: 0, write: 0 },
    failures: input.failures,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    reportKey: null,
    shards: 0,
    retriedShards: 0,
    recovered: 0,
    workers: [],
  };
}
