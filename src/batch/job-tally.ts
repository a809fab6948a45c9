import { failureLimitExceeded } from './failure-limit.js';
import type { FailureLimit, FileFailure, FileWarning, JobCounts, ProgressEvent } from './types.js';

/** Failed records listed in a job's report (and errors.jsonl); more are only counted. */
export const MAX_RECORD_FAILURES = 10_000;

export interface JobTallyOptions {
  jobId: string;
  maxFailures?: FailureLimit;
  onProgress?: (event: ProgressEvent) => void;
  /** How often progress is reported while the job runs. Default 250 ms. */
  progressIntervalMs?: number;
  /** Called for each failure as it happens (a file, or a record of a record file), for live views. */
  onFailure?: (failure: FileFailure) => void;
  /** Called once when the failure limit is exceeded (the job stops taking new inputs). */
  onStop?: () => void;
}

/**
 * One job's bookkeeping, the same for the local runner and the distributed coordinator: counts, failures and
 * warnings, the failure limit (judged as failures come in, and on the total at the end), and progress events
 * (files/s, ETA once the listing is done) on a timer and on demand.
 */
export class JobTally {
  readonly counts: JobCounts = { listed: 0, scored: 0, failed: 0, skipped: 0, records: 0, nonFinite: 0 };
  readonly failures: FileFailure[] = [];
  readonly warnings: FileWarning[] = [];
  /** Every input is listed (the total is known). */
  listingDone = false;
  /**
   * The source's input count from a listing ahead of the scoring ({@link countInputs}), once known: the total
   * of progress events (and so their percentage and ETA) before the job's own listing gets there.
   */
  expected: number | null = null;
  /** Why the job stopped taking inputs early (`--max-failures`), or null. */
  stoppedReason: string | null = null;
  /** Records scored in record files (JSON Lines, CSV): finished inputs for a percentage limit. */
  private streamRecords = 0;
  /** Record failures kept in `failures` (all are counted): a file of bad lines must not fill memory. */
  private keptRecordFailures = 0;
  private readonly t0 = performance.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: JobTallyOptions) {}

  /**
   * Counts an input scored from `records` records, `nonFinite` of them with NaN or ±Infinity outputs (then a
   * warning, also handed to `onWarning`).
   */
  scored(file: string, records: number, nonFinite: number, onWarning?: (message: string) => void): void {
    this.counts.scored += 1;
    this.counts.records += records;
    if (nonFinite === 0) return;
    const reason = `${nonFinite} of ${records} record(s) have NaN or Infinity outputs, written as null (their prediction_classes too)`;
    this.counts.nonFinite += 1;
    this.warnings.push({ file, code: 'NON_FINITE_OUTPUT', reason });
    onWarning?.(`${file}: ${reason}`);
  }

  get elapsedMs(): number {
    return performance.now() - this.t0;
  }

  /** An input failed: counted, recorded, and the failure limit judged on the inputs finished so far. */
  fail(failure: FileFailure): void {
    this.counts.failed += 1;
    this.failures.push(failure);
    this.o.onFailure?.(failure);
    this.checkLimit();
  }

  /**
   * A record file was scored: its records count as finished inputs, and its failed records as failures (the
   * first {@link MAX_RECORD_FAILURES} of the job are listed; all `count` of them are counted in
   * `counts.failedRecords`: a shard's result lists only its first ones).
   */
  recordFile(scoredRecords: number, failed: FileFailure[], count = failed.length): void {
    this.streamRecords += scoredRecords;
    if (this.streamRecords > 0) this.counts.recordFileRecords = this.streamRecords;
    if (count === 0) return;
    this.counts.failedRecords = (this.counts.failedRecords ?? 0) + count;
    const room = Math.max(0, MAX_RECORD_FAILURES - this.keptRecordFailures);
    for (const f of failed.slice(0, room)) {
      this.failures.push(f);
      this.o.onFailure?.(f);
    }
    this.keptRecordFailures += Math.min(room, failed.length);
    this.checkLimit();
  }

  /** Judges the failure limit (with `final`, on the job's total); returns why the job stops, or null. */
  checkLimit(final = false): string | null {
    if (this.stoppedReason) return this.stoppedReason;
    const { failed, scored } = this.counts;
    const failedRecords = this.counts.failedRecords ?? 0;
    this.stoppedReason = failureLimitExceeded(
      this.o.maxFailures,
      failed + failedRecords,
      scored + failed + this.streamRecords + failedRecords,
      final,
    );
    if (this.stoppedReason) this.o.onStop?.();
    return this.stoppedReason;
  }

  /** Reports progress now. */
  progress(): void {
    if (!this.o.onProgress) return;
    const elapsedMs = this.elapsedMs;
    const { scored, failed, skipped } = this.counts;
    const counted = !this.listingDone && this.expected !== null;
    const listed = counted ? Math.max(this.counts.listed, this.expected ?? 0) : this.counts.listed;
    const listingDone = this.listingDone || counted;
    const finished = scored + failed + skipped;
    const filesPerSecond = elapsedMs > 0 ? (finished * 1000) / elapsedMs : 0;
    this.o.onProgress({
      jobId: this.o.jobId,
      counts: { ...this.counts, listed },
      listingDone,
      elapsedMs,
      filesPerSecond,
      etaSeconds: listingDone && filesPerSecond > 0 ? Math.max(0, listed - finished) / filesPerSecond : null,
    });
  }

  /** Reports progress on a timer until {@link stop}. */
  start(): this {
    if (this.o.onProgress && !this.timer) {
      this.timer = setInterval(() => this.progress(), this.o.progressIntervalMs ?? 250);
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
