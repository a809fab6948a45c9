/**
 * What the job executor needs for rerun modes, live failures and the attempts' history: a source narrowed to
 * some keys, a buffer of failures written while the job runs, and one history entry per attempt.
 */
import type { FileFailure } from '../batch/index.js';
import type { JobRow, Repository } from '../repository/index.js';
import type { BucketDriver } from '../storage/index.js';
import { attemptsOf } from './views.js';

/** A source that lists only these keys of the real one (a rerun of the failed inputs). */
export function onlyKeys(source: BucketDriver, keys: ReadonlySet<string>): BucketDriver {
  return {
    ...source,
    // Not a whole folder any more: the count ahead lists this wrapper instead of counting the folder.
    fsOptions: undefined,
    async *list(prefix, options) {
      for await (const page of source.list(prefix, options)) {
        const kept = page.filter((e) => keys.has(e.key));
        if (kept.length > 0) yield kept;
      }
    },
    getStream: source.getStream?.bind(source),
    close: () => source.close(),
  };
}

/** Failures of a running job, written in batches (so the job page shows them live). */
export class LiveFailures {
  private pending: FileFailure[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: Repository,
    private readonly jobId: string,
    private readonly attempt = 1,
  ) {}

  private timer: NodeJS.Timeout | null = null;

  /** Notes a failure; it is written within `delayMs` (with the others that came meanwhile). */
  add(failure: FileFailure, delayMs = 250): void {
    this.pending.push(failure);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delayMs);
  }

  /** Writes what came since the last flush (after the previous write: order kept). */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.map((f) => ({
      file: f.file,
      stage: f.stage,
      code: f.code,
      reason: f.reason,
    }));
    this.pending = [];
    this.writing = this.writing
      .then(() => this.repo.jobs.appendFailures(this.jobId, batch, this.attempt))
      .catch(() => undefined);
  }

  /**
   * Stops: what is being written is done (the final list then replaces it). With `keep` (a server stop: no
   * final list comes) what came since the last flush is written first.
   */
  async close(keep = false): Promise<void> {
    if (keep) this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    await this.writing;
  }
}

/** What one attempt did, for the job's history. */
export interface AttemptEnd {
  attempt: number;
  started_at: string | null;
  ended_at: string;
  outcome: string;
  counts: { scored: number; failed: number; skipped: number };
}

/** The job's history with this attempt added (as stored text). */
export function withAttempt(job: Pick<JobRow, 'history'>, end: AttemptEnd): string {
  const list = attemptsOf(job.history).filter((a) => a.attempt !== end.attempt);
  list.push({
    attempt: end.attempt,
    started_at: end.started_at,
    ended_at: end.ended_at,
    outcome: end.outcome,
    scored: Number(end.counts.scored),
    failed: Number(end.counts.failed),
    skipped: Number(end.counts.skipped),
  });
  return JSON.stringify(list);
}

/** When an attempt started: the end of the one before it, or the job's start. */
export function attemptStart(job: Pick<JobRow, 'history' | 'started_at'>): string | null {
  const list = attemptsOf(job.history);
  return list.length > 0 ? list[list.length - 1].ended_at : job.started_at;
}
