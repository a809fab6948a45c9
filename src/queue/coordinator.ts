import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { BATCH_DEFAULTS, defaultInclude, formatOfKey, JobTally } from '../batch/index.js';
import { createInputFilter } from '../batch/input-filter.js';
import { newJobId } from '../batch/job-id.js';
import { tryWriteReport } from '../batch/report.js';
import type { CoordinatorState, DistributedJobOptions } from './coordinator-options.js';
import { queueOptions } from './defaults.js';
import { buildDistributedReport, type DistributedReport } from './distributed-report.js';
import { QueueError } from './errors.js';
import { planParts } from './part-plan.js';
import { redisOptions } from './redis.js';
import { onceForFile } from './shard-parts.js';
import { parseResult, removeWaiting } from './shard-queue.js';
import { KEEP_SECONDS, ShardResults } from './shard-results.js';
import {
  isJobFailure,
  type OutstandingShard,
  SHARD_QUEUE,
  type ShardData,
  type ShardEntry,
  type ShardPart,
  type ShardResult,
  shardJobId,
} from './types.js';

export type { CoordinatorState, DistributedJobOptions } from './coordinator-options.js';
export type { DistributedReport } from './distributed-report.js';

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
export function runDistributedJob(o: DistributedJobOptions): Promise<DistributedReport> {
  return new ShardCoordinator(o).run();
}

class ShardCoordinator {
  state: CoordinatorState = 'starting';
  private readonly jobId: string;
  private readonly settings;
  private readonly runId: string;
  private readonly started = new Date();
  private readonly queue: Queue<ShardData, ShardResult>;
  private readonly events: QueueEvents;
  private readonly results: ShardResults;
  private readonly tally: JobTally;
  private readonly outstanding = new Map<string, OutstandingShard>();
  private readonly workers = new Set<string>();
  private readonly removals = new Set<Promise<unknown>>();
  private counted = new Map<number, ShardResult>();
  /** Split files counted as failed (by key), or taken off the listed count (by their first part's shard). */
  private readonly failedParts = new Set<string>();
  private readonly unlisted = new Set<number>();
  private pending: ShardEntry[] = [];
  private shards = 0;
  private retriedShards = 0;
  private recovered = 0;
  /** Why the job failed for good (an unrecoverable shard failure), or null. */
  private fatal: string | null = null;
  private wake: (() => void) | null = null;
  /** Shard results now come from this coordinator's workers (not the earlier results loaded at the start). */
  private live = false;

  constructor(private readonly o: DistributedJobOptions) {
    this.jobId = o.jobId ?? newJobId();
    this.settings = {
      ...queueOptions({
        shardSize: o.shardSize,
        maxQueuedShards: o.maxQueuedShards,
        attempts: o.attempts,
        backoffMs: o.backoffMs,
        splitBytes: o.splitBytes,
      }),
      batchSize: o.batchSize ?? BATCH_DEFAULTS.batchSize,
      concurrency: o.concurrency ?? BATCH_DEFAULTS.concurrency,
      maxFileBytes: o.maxFileBytes ?? BATCH_DEFAULTS.maxFileBytes,
    };
    this.runId = `${this.jobId}.${randomBytes(4).toString('hex')}`;
    const connection = redisOptions(o.redisUrl);
    this.queue = new Queue<ShardData, ShardResult>(SHARD_QUEUE, { connection });
    this.events = new QueueEvents(SHARD_QUEUE, { connection });
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
    this.results = new ShardResults(this.queue, this.jobId);
    this.tally = new JobTally({
      jobId: this.jobId,
      maxFailures: o.maxFailures,
      onProgress: o.onProgress,
      onFailure: (f) => this.live && o.onFailure?.(f),
      onStop: () => this.notify(),
    });
  }

  private get canceled(): boolean {
    return this.o.signal?.aborted === true;
  }

  private get detached(): boolean {
    return this.o.detach?.aborted === true;
  }

  /** No more shards are enqueued (the job failed, was canceled or detached, or too many inputs failed). */
  private get stopped(): boolean {
    return this.fatal !== null || this.tally.stoppedReason !== null || this.canceled || this.detached;
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  private waitChange(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async run(): Promise<DistributedReport> {
    const { o, tally } = this;
    for (const signal of [o.signal, o.detach])
      signal?.addEventListener('abort', () => this.notify(), { once: true });
    this.events.on('completed', ({ jobId: id, returnvalue }) => {
      if (this.outstanding.has(id)) this.settle(id, parseResult(returnvalue));
    });
    this.events.on('failed', ({ jobId: id }) => {
      if (this.outstanding.has(id)) void this.reconcileOne(id).catch(() => undefined);
    });
    let reconciling = false;
    const reconciler = setInterval(() => {
      if (reconciling) return;
      reconciling = true;
      Promise.all(
        [...this.outstanding.keys()].map((id) => this.reconcileOne(id).catch(() => undefined)),
      ).finally(() => {
        reconciling = false;
      });
    }, 2000);
    tally.start();
    try {
      await this.events.waitUntilReady();
      this.counted = await this.results.load();
      for (const result of this.counted.values()) this.add(result);
      this.live = true;
      tally.checkLimit();
      this.state = 'listing';
      await this.list();
      this.state = 'awaiting';
      tally.listingDone = !this.stopped;
      while (this.outstanding.size > 0 && !this.stopped) await this.waitChange(1000);
      if (!this.stopped) tally.checkLimit(true);
      // Too many failures: the shards no worker has taken are removed; those taken finish and are counted.
      if (tally.stoppedReason) this.state = 'stopping';
      while (
        tally.stoppedReason &&
        !this.fatal &&
        !this.canceled &&
        !this.detached &&
        this.outstanding.size > 0
      ) {
        await this.abandonWaiting();
        if (this.outstanding.size > 0) await this.waitChange(1000);
      }
    } catch (error) {
      if (!this.canceled && !this.detached) throw error;
    } finally {
      this.state = 'finished';
      clearInterval(reconciler);
      tally.stop();
      // Canceled or failed: the job's shards no worker has taken yet are removed (taken ones finish).
      if ((this.fatal || this.canceled || tally.stoppedReason) && !this.detached)
        await this.abandonWaiting().catch(() => undefined);
      await this.events.close().catch(() => undefined);
      // A shard settled while these were awaited adds one of its own: wait until none is left.
      while (this.removals.size > 0) await Promise.all(this.removals);
      if (!this.detached) await this.results.clear().catch(() => undefined);
    }
    await this.queue.close().catch(() => undefined);
    if (this.detached)
      throw new QueueError(
        'QUEUE_DETACHED',
        `job ${this.jobId} detached: its shards stay queued for a rerun`,
      );
    if (this.fatal) throw new QueueError('QUEUE_JOB_FAILED', `job ${this.jobId} failed: ${this.fatal}`);
    tally.progress();
    return this.report();
  }

  /** Lists the source page by page into shards, waiting while `maxQueuedShards` are out. */
  private async list(): Promise<void> {
    const { o, tally } = this;
    const inputFormat = o.formats?.inputFormat;
    const seedFile = (key: string) => formatOfKey(key, inputFormat) === 'json';
    const classify = createInputFilter(
      o.include ?? defaultInclude(inputFormat),
      this.settings.maxFileBytes,
      seedFile,
      o.onlyInclude ? 'ignore' : 'fail',
    );
    for await (const page of o.source.list(undefined, { signal: o.signal })) {
      for (const entry of page) {
        const kind = classify(entry);
        if (kind.kind === 'ignore') continue;
        tally.counts.listed += 1;
        if (kind.kind === 'fail') {
          tally.fail({ file: entry.key, stage: 'list', code: kind.code, reason: kind.reason });
          continue;
        }
        const item: ShardEntry = [entry.key, entry.etag, entry.size];
        // A record file (JSON Lines, CSV, zip) is a shard of its own, a large JSON Lines or CSV file one per part.
        const parts = await planParts(o.source, item, this.settings.splitBytes, inputFormat, this.shards);
        if (parts) for (const part of parts) await this.enqueue([item], part);
        else if (!seedFile(entry.key)) await this.enqueue([item]);
        else this.pending.push(item);
        if (this.pending.length >= this.settings.shardSize) await this.enqueue();
        if (this.stopped) return;
      }
      if (this.stopped) return;
    }
    await this.enqueue();
  }

  private add(shardResult: ShardResult): void {
    const result = onceForFile(shardResult, this.failedParts);
    const { counts } = this.tally;
    counts.scored += result.scored;
    counts.failed += result.failed;
    counts.skipped += result.skipped ?? 0;
    counts.records += result.records;
    counts.nonFinite += result.nonFinite ?? 0;
    this.tally.warnings.push(...(result.warnings ?? []));
    this.recovered += result.recovered;
    if (result.attempt > 1 || result.recovered > 0) this.retriedShards += 1;
    if (result.worker) this.workers.add(result.worker);
    const isRecord = (f: ShardResult['failures'][number]) => f.line !== undefined || f.entry !== undefined;
    const files = result.failures.filter((f) => !isRecord(f));
    this.tally.failures.push(...files);
    if (this.live) for (const f of files) this.o.onFailure?.(f);
    const records = result.failures.filter(isRecord);
    this.tally.recordFile(result.recordFileRecords ?? 0, records, result.failedRecords ?? records.length);
  }

  /** Counts a shard's result once, by shard id; a failed shard counts each of its inputs as failed. */
  private settle(id: string, result: ShardResult | null, failure?: { reason: string; fatal: boolean }): void {
    const out = this.outstanding.get(id);
    if (!out || this.detached) return;
    this.outstanding.delete(id);
    let final = result;
    if (!final) {
      const reason = failure?.reason ?? 'the shard failed';
      if (failure?.fatal) this.fatal ??= reason;
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
        partOf: out.data.part ? out.entries[0][0] : undefined,
      };
    }
    this.add(final);
    this.counted.set(out.data.shard, final);
    this.tally.checkLimit();
    // Saved before the shard leaves Redis (a restart finds one or the other); not once finished (then cleared).
    const saved = this.state === 'finished' ? Promise.resolve() : this.results.save(final);
    const removal = saved
      .then(() => this.queue.remove(id))
      .catch(() => undefined)
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
    this.notify();
  }

  /** Looks a shard up in Redis (events can be missed across a Redis or coordinator restart). */
  private async reconcileOne(id: string): Promise<void> {
    const job = await this.queue.getJob(id);
    const out = this.outstanding.get(id);
    if (!job) {
      // Lost with a Redis that restarted without its data: enqueue it again (same id, so never twice).
      if (out && !this.stopped) await this.addShard(out.data);
      return;
    }
    if (job.finishedOn && job.returnvalue) this.settle(id, parseResult(job.returnvalue));
    else if ((await job.getState()) === 'failed') {
      this.settle(id, null, {
        reason: job.failedReason || 'the shard failed',
        fatal: isJobFailure(job.stacktrace),
      });
    }
  }

  /** Enqueues the pending inputs as a shard, or `single` (a record file) as a shard of its own. */
  private async enqueue(single?: ShardEntry[], part?: ShardPart): Promise<void> {
    while (this.outstanding.size >= this.settings.maxQueuedShards && !this.stopped)
      await this.waitChange(500);
    if (this.stopped) {
      // Never enqueued: as if never listed (a split file once, at its first part not enqueued).
      if (single && (!part || !this.unlisted.has(part.file))) this.tally.counts.listed -= single.length;
      if (part) this.unlisted.add(part.file);
      return;
    }
    const entries = single ?? this.pending;
    if (entries.length === 0) return;
    if (!single) this.pending = [];
    const shard = this.shards;
    this.shards += 1;
    if (this.counted.has(shard)) return; // counted by an earlier run of this job
    const { o, settings } = this;
    const data: ShardData = {
      jobId: this.jobId,
      run: this.runId,
      shard,
      model: o.model,
      source: o.sourceText,
      target: o.targetText,
      places: o.places,
      bucket: o.bucket ?? {},
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      maxFileBytes: settings.maxFileBytes,
      include: o.include,
      formats: o.formats,
      resume: o.resume,
      entries,
      part,
    };
    this.outstanding.set(shardJobId(this.jobId, shard), { entries, data });
    await this.addShard(data);
  }

  private async addShard(data: ShardData): Promise<void> {
    // A shard still in Redis from an earlier run of this job is not added again (same id): it is awaited.
    await this.queue.add('shard', data, {
      jobId: shardJobId(this.jobId, data.shard),
      attempts: this.settings.attempts,
      backoff: { type: 'exponential', delay: this.settings.backoffMs },
      // The coordinator removes each shard once counted; these bounds only clean up after abandoned jobs.
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    });
  }

  /** Removes the job's shards no worker has taken; they and the inputs not yet enqueued count as never listed. */
  private async abandonWaiting(): Promise<void> {
    const { counts } = this.tally;
    counts.listed -= this.pending.length;
    this.pending = [];
    for (const id of await removeWaiting(this.queue, [...this.outstanding.keys()])) {
      const out = this.outstanding.get(id);
      if (!out) continue;
      this.outstanding.delete(id);
      const file = out.data.part?.file;
      if (file === undefined || !this.unlisted.has(file)) counts.listed -= out.entries.length;
      if (file !== undefined) this.unlisted.add(file);
    }
  }

  private async report(): Promise<DistributedReport> {
    const { o, tally, settings } = this;
    const report = buildDistributedReport({
      jobId: o.reportJobId ?? this.jobId,
      model: o.model,
      source: o.sourceText,
      target: o.targetText,
      started: this.started,
      durationMs: tally.elapsedMs,
      counts: tally.counts,
      failures: tally.failures,
      warnings: tally.warnings,
      canceled: this.canceled,
      stoppedReason: tally.stoppedReason,
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      shards: this.shards,
      retriedShards: this.retriedShards,
      recovered: this.recovered,
      workers: [...this.workers].sort(),
    });
    if (o.writeReport ?? true) await tryWriteReport(o.target, report);
    return report;
  }
}
