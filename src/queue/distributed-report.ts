import type { FileFailure, FileWarning, JobCounts, JobReport } from '../batch/types.js';
import type { ShardModelRef } from './types.js';

/** The job report of a distributed job: the local report plus how it was spread. */
export interface DistributedReport extends JobReport {
  shards: number;
  /** Shards that were retried (attempt > 1) before they completed. */
  retriedShards: number;
  /** Inputs a retried shard found already written by its earlier attempt (counted once, in `scored`). */
  recovered: number;
  workers: string[];
}

/** What {@link buildDistributedReport} reports on. */
export interface DistributedReportInput {
  jobId: string;
  model: ShardModelRef;
  source: string;
  target: string;
  started: Date;
  durationMs: number;
  counts: JobCounts;
  failures: FileFailure[];
  warnings: FileWarning[];
  canceled: boolean;
  stoppedReason: string | null;
  batchSize: number;
  concurrency: number;
  shards: number;
  retriedShards: number;
  recovered: number;
  workers: string[];
}

/** The report of a distributed job, in the local runner's shape (no stage times: the workers keep theirs). */
export function buildDistributedReport(input: DistributedReportInput): DistributedReport {
  const { counts, durationMs } = input;
  const total = counts.scored + counts.failed + counts.skipped;
  const seconds = durationMs / 1000;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    jobId: input.jobId,
    status: input.canceled
      ? 'canceled'
      : input.stoppedReason
        ? 'stopped'
        : counts.failed > 0 || (counts.failedRecords ?? 0) > 0
          ? 'completed_with_failures'
          : 'completed',
    stoppedReason: input.canceled ? 'canceled' : input.stoppedReason,
    model: { name: input.model.name, sha256: input.model.sha256, backend: 'onnxruntime (bullmq workers)' },
    source: input.source,
    target: input.target,
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
    warnings: input.warnings,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    reportKey: null,
    reportError: null,
    shards: input.shards,
    retriedShards: input.retriedShards,
    recovered: input.recovered,
    workers: input.workers,
  };
}
