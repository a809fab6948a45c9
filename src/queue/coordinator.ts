import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { BATCH_DEFAULTS, failureLimitExceeded } from '../batch/index.js';
import { createInputFilter } from '../batch/input-filter.js';
import { newJobId } from '../batch/job-id.js';
import { writeReport } from '../batch/report.js';
import type { FailureLimit, FileFailure, FileWarning, JobCounts, ProgressEvent } from '../batch/types.js';
import type { BucketDriver } from '../storage/index.js';
import { buildDistributedReport, type DistributedReport } from './distributed-report.js';
import { QueueError } from './errors.js';
import { redisOptions } from './redis.js';
import { KEEP_SECONDS, ShardResults } from './shard-results.js';
import {
  SHARD_QUEUE,
  type ShardBucketOptions,
  type ShardData,
  type ShardEntry,
  type ShardModelRef,
  type ShardPlace,
  type ShardResult,
  shardJobId,
  UNRECOVERABLE_PREFIX,
} from './types.js';

/** Options of {@link runDistributedJob}. */
export interface DistributedJobOptions {
  redisUrl: string;
  /**
   * The job's id: its shards are `<jobId>-<n>`. Run again with the same id (a restarted server), the job
   * re-attaches: shards already counted are skipped, shards still in Redis are awaited, the rest enqueued.
   */
  jobId?: string;
  /** The id of this run in the report (`_keras-batch/<reportJobId>/report.json`). Default `jobId`. */
  reportJobId?: string;
  model: ShardModelRef;
  /** The coordinator's own drivers: it lists the source and writes the report to the target. */
  source: BucketDriver;
  target: BucketDriver;
  /** The locations as workers open them (`./dir`, `s3://bucket/prefix`), and the S3 settings (no secrets). */
  sourceText: string;
  targetText: string;
  bucket?: ShardBucketOptions;
  /** Stored connections' places: workers open these through their repository (`sourceText` is then for logs). */
  places?: { source: ShardPlace; target: ShardPlace };
  /** Inputs per shard. Default 512. */
  shardSize?: number;
  /** Shards of this job queued or running at once; listing waits while this many are out. Default 32. */
  maxQueuedShards?: number;
  batchSize?: number;
  concurrency?: number;
  maxFileBytes?: number;
  include?: string[];
  /** Stop early (no more shards enqueued, waiting ones removed) once more inputs than this failed. */
  maxFailures?: FailureLimit;
  /** Workers skip inputs whose output was written from the same input version by the same model. */
  resume?: boolean;
  /** Attempts per shard (exponential backoff from `backoffMs`). Default 5. */
  attempts?: number;
  backoffMs?: number;
  writeReport?: boolean;
  /** Cancel: stop enqueuing, remove the job's waiting shards, report `canceled`. */
  signal?: AbortSignal;
  /** Detach: stop coordinating and leave every shard in Redis (the process stops; a rerun re-attaches). */
  detach?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export type { DistributedReport } from './distributed-report.js';

interface Outstanding {
  entries: ShardEntry[];
  data: ShardData;
}

/**
 * Runs a batch job over BullMQ workers: lists the source page by page, cuts the inputs into shards of
 * `shardSize` keys, enqueues each as a job (payload: job id, model reference, locations or stored places,
 * keys — no secrets), pauses the listing while `maxQueuedShards` of its shards are out (backpressure), and
 * counts each shard's result once, by shard number, however many times the shard ran (results are kept in
 * Redis until the job ends, so a restarted coordinator counts nothing twice). Resolves with the job's report
 * when every shard finished; fails with `QUEUE_JOB_FAILED` (after removing the job's waiting shards) when a
 * shard fails for an unrecoverable reason. A cancel or `maxFailures` stops enqueuing and removes waiting shards
 * (after `maxFailures`, shards already taken are awaited and counted, as the local runner finishes its files).
 */
export async function runDistributedJob(o: DistributedJobOptions): Promise<DistributedReport> {
  const jobId = o.jobId ?? newJobId();
  const shardSize = o.shardSize ?? 512;
  const maxOut = o.maxQueuedShards ?? 32;
  const batchSize = o.batchSize ?? BATCH_DEFAULTS.batchSize;
  const concurrency = o.concurrency ?? BATCH_DEFAULTS.concurrency;
  const maxFileBytes = o.maxFileBytes ?? BATCH_DEFAULTS.maxFileBytes;
  const classify = createInputFilter(o.include, maxFileBytes);
  const run = `${jobId}.${randomBytes(4).toString('hex')}`;
  const started = new Date();
  const t0 = performance.now();
  const connection = redisOptions(o.redisUrl);
  const queue = new Queue<ShardData, ShardResult>(SHARD_QUEUE, { connection });
  const events = new QueueEvents(SHARD_QUEUE, { connection });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  const results = new ShardResults(queue as unknown as Queue, jobId);

  const counts: JobCounts = { listed: 0, scored: 0, failed: 0, skipped: 0, records: 0, nonFinite: 0 };
  const failures: FileFailure[] = [];
  const warnings: FileWarning[] = [];
  const outstanding = new Map<string, Outstanding>();
  const workers = new Set<string>();
  const removals = new Set<Promise<unknown>>();
  let counted = new Map<number, ShardResult>();
  let shards = 0;
  let retriedShards = 0;
  let recovered = 0;
  let fatal: string | null = null;
  let stoppedReason: string | null = null;
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
  const canceled = () => o.signal?.aborted === true;
  const detached = () => o.detach?.aborted === true;
  /** No more shards are enqueued (the job failed, was canceled or detached, or too many inputs failed). */
  const stopped = () => fatal !== null || stoppedReason !== null || canceled() || detached();
  const checkLimit = () => {
    stoppedReason ??= failureLimitExceeded(
      o.maxFailures,
      counts.failed,
      counts.scored + counts.failed,
      false,
    );
    if (stoppedReason) notify();
  };
  for (const signal of [o.signal, o.detach]) signal?.addEventListener('abort', notify, { once: true });

  const add = (result: ShardResult) => {
    counts.scored += result.scored;
    counts.failed += result.failed;
    counts.skipped += result.skipped ?? 0;
    counts.records += result.records;
    counts.nonFinite += result.nonFinite ?? 0;
    warnings.push(...(result.warnings ?? []));
    recovered += result.recovered;
    if (result.attempt > 1 || result.recovered > 0) retriedShards += 1;
    if (result.worker) workers.add(result.worker);
    failures.push(...result.failures);
  };

  /** Counts a shard's result once, by shard id; a failed shard counts each of its inputs as failed. */
  const settle = (id: string, result: ShardResult | null, failedReason?: string) => {
    const out = outstanding.get(id);
    if (!out || detached()) return;
    outstanding.delete(id);
    let final = result;
    if (!final) {
      const reason = failedReason ?? 'the shard failed';
      if (reason.startsWith(UNRECOVERABLE_PREFIX)) fatal ??= reason.slice(UNRECOVERABLE_PREFIX.length);
      final = {
        shard: out.data.shard,
        scored: 0,
        failed: out.entries.length,
        recovered: 0,
        records: 0,
        failures: out.entries.map(([key]) => ({
          file: key,
          stage: 'score',
          code: 'QUEUE_SHARD_FAILED',
          reason,
        })),
        attempt: 1,
        worker: '',
      };
    }
    add(final);
    counted.set(out.data.shard, final);
    checkLimit();
    // Recorded as counted before the shard leaves Redis: a restarted coordinator finds one or the other.
    const removal = results
      .save(final)
      .then(() => queue.remove(id))
      .catch(() => undefined)
      .finally(() => removals.delete(removal));
    removals.add(removal);
    notify();
  };
  const parse = (value: unknown): ShardResult =>
    (typeof value === 'string' ? JSON.parse(value) : value) as ShardResult;
  events.on('completed', ({ jobId: id, returnvalue }) => {
    if (outstanding.has(id)) settle(id, parse(returnvalue));
  });
  events.on('failed', ({ jobId: id }) => {
    if (outstanding.has(id)) void reconcileOne(id).catch(() => undefined);
  });

  /** Looks a shard up in Redis (events can be missed across a Redis or coordinator restart). */
  const reconcileOne = async (id: string) => {
    const job = await queue.getJob(id);
    const out = outstanding.get(id);
    if (!job) {
      // Lost with a Redis that restarted without its data: enqueue it again (same id, so never twice).
      if (out && !stopped()) await addShard(out.data);
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

  let pending: ShardEntry[] = [];
  const enqueue = async () => {
    while (outstanding.size >= maxOut && !stopped()) await waitChange(500);
    if (stopped() || pending.length === 0) return;
    const shard = shards;
    shards += 1;
    const entries = pending;
    pending = [];
    if (counted.has(shard)) return; // counted by an earlier run of this job
    const data: ShardData = {
      jobId,
      run,
      shard,
      model: o.model,
      source: o.sourceText,
      target: o.targetText,
      places: o.places,
      bucket: o.bucket ?? {},
      batchSize,
      concurrency,
      maxFileBytes,
      include: o.include,
      resume: o.resume,
      entries,
    };
    outstanding.set(shardJobId(jobId, shard), { entries, data });
    await addShard(data);
  };

  const addShard = async (data: ShardData) => {
    // A shard still in Redis from an earlier run of this job is not added again (same id): it is awaited.
    await queue.add('shard', data, {
      jobId: shardJobId(jobId, data.shard),
      attempts: o.attempts ?? 5,
      backoff: { type: 'exponential', delay: o.backoffMs ?? 1000 },
      // The coordinator removes each shard once counted; these bounds only clean up after abandoned jobs.
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    });
  };

  /** Removes the job's shards no worker has taken; they and the inputs not yet enqueued count as never listed. */
  const abandonWaiting = async () => {
    counts.listed -= pending.length;
    pending = [];
    for (const id of await removeWaiting(queue, [...outstanding.keys()])) {
      const out = outstanding.get(id);
      if (!out) continue;
      outstanding.delete(id);
      counts.listed -= out.entries.length;
    }
  };

  try {
    await events.waitUntilReady();
    counted = await results.load();
    for (const result of counted.values()) add(result);
    checkLimit();
    for await (const page of o.source.list(undefined, { signal: o.signal })) {
      for (const entry of page) {
        const kind = classify(entry);
        if (kind.kind === 'ignore') continue;
        counts.listed += 1;
        if (kind.kind === 'fail') {
          counts.failed += 1;
          failures.push({ file: entry.key, stage: 'list', code: kind.code, reason: kind.reason });
          checkLimit();
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
    if (!stopped())
      stoppedReason = failureLimitExceeded(o.maxFailures, counts.failed, counts.scored + counts.failed, true);
    // Too many failures: the shards no worker has taken are removed; those taken finish and are counted.
    while (stoppedReason && !fatal && !canceled() && !detached() && outstanding.size > 0) {
      await abandonWaiting();
      if (outstanding.size > 0) await waitChange(1000);
    }
  } catch (error) {
    if (!canceled() && !detached()) throw error;
  } finally {
    clearInterval(reconciler);
    if (ticker) clearInterval(ticker);
    // Canceled or failed: the job's shards no worker has taken yet are removed (taken ones finish).
    if ((fatal || canceled() || stoppedReason) && !detached()) await abandonWaiting().catch(() => undefined);
    await events.close().catch(() => undefined);
    await Promise.all(removals);
    if (!detached()) await results.clear().catch(() => undefined);
  }
  await queue.close().catch(() => undefined);
  if (detached())
    throw new QueueError('QUEUE_DETACHED', `job ${jobId} detached: its shards stay queued for a rerun`);
  if (fatal) throw new QueueError('QUEUE_JOB_FAILED', `job ${jobId} failed: ${fatal}`);
  progress();
  const report = buildDistributedReport({
    jobId: o.reportJobId ?? jobId,
    model: o.model,
    source: o.sourceText,
    target: o.targetText,
    started,
    durationMs: performance.now() - t0,
    counts,
    failures,
    warnings,
    canceled: canceled(),
    stoppedReason,
    batchSize,
    concurrency,
    shards,
    retriedShards,
    recovered,
    workers: [...workers].sort(),
  });
  if (o.writeReport ?? true) report.reportKey = await writeReport(o.target, report);
  return report;
}

/** Removes a job's shards that no worker has taken yet (active ones finish); returns the ids removed. */
async function removeWaiting(queue: Queue<ShardData, ShardResult>, ids: string[]): Promise<string[]> {
  const removed: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (!job || (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized')) return;
      try {
        await job.remove();
        removed.push(id);
      } catch {
        // taken by a worker meanwhile: it finishes and is counted (or ignored after a cancel)
      }
    }),
  );
  return removed;
}
