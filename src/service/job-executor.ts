import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { parseFailureLimit } from '../batch/index.js';
import type { JobReport, ProgressEvent } from '../batch/types.js';
import { type JobPatch, type JobStatus, now, type Repository, type SecretBox } from '../repository/index.js';
import { formatLocation } from '../storage/index.js';
import { errorMessage } from '../util/errors.js';
import { openPlace, placeLocation } from './connection-drivers.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import { type DeploymentOptionsRow, formatOptions } from './format-options.js';
import type { AbortReason, JobRunner } from './job-runner.js';
import { attemptStart, LiveFailures, onlyKeys, withAttempt } from './job-runs.js';
import { type InlineInput, type InlinePrediction, type JobSpec, jobSpecOf, placesClash } from './job-spec.js';
import type { LocalRoots } from './local-roots.js';
import { type JobView, jobView } from './views.js';

/** Events of {@link JobExecutor}: a job's view after every change (progress, status). */
export interface JobEvents {
  job: [JobView];
}

interface Running {
  controller: AbortController;
  /** Why it was aborted: a user's cancel, or the server shutting down (the job resumes on restart). */
  reason: AbortReason | null;
  done: Promise<void>;
}

/** Options of {@link JobExecutor}. */
export interface JobExecutorOptions {
  repository: Repository;
  /** Where jobs run: in this process, or over queue workers. */
  runner: JobRunner;
  box: SecretBox;
  /** Where local folders may be (checked again at every job start: a symlink may have moved). */
  roots: LocalRoots;
  /** Which S3 endpoints stored connections may reach (checked again at every job start). */
  endpoints: EndpointPolicy;
  logger: Logger;
  /** Jobs run at once (each uses every core for scoring). Default 1. */
  maxConcurrentJobs?: number;
  /** How often counts are written to the database while a job runs, in ms. Default 1,000. */
  persistIntervalMs?: number;
  /** Scores a job's inline input (WML v4 `input_data`) with its deployment: the predictions, in order. */
  inline?: (deploymentId: string, inputs: InlineInput[]) => Promise<InlinePrediction[]>;
}

/**
 * Runs batch jobs through a {@link JobRunner} (in this process, or over queue workers): a FIFO of queued jobs,
 * `maxConcurrentJobs` at a time, counts persisted while they run, every change published as a `job` event (for
 * SSE and metrics).
 */
export class JobExecutor extends EventEmitter<JobEvents> {
  private readonly queue: { id: string; resume: boolean }[] = [];
  private readonly running = new Map<string, Running>();
  private closed = false;
  private readonly max: number;
  private readonly persistMs: number;

  constructor(private readonly o: JobExecutorOptions) {
    super();
    this.max = o.maxConcurrentJobs ?? 1;
    this.persistMs = o.persistIntervalMs ?? 1000;
  }

  /** Queues a job (already stored as `queued` or `running`). */
  enqueue(id: string, resume = false): void {
    if (this.closed) return;
    this.queue.push({ id, resume });
    this.pump();
  }

  /**
   * On start: jobs left `running` by a stopped server are marked interrupted and run again with resume
   * (outputs already written by the same model are skipped); jobs left `queued` are queued again.
   */
  async recover(): Promise<string[]> {
    const left = await this.o.repository.jobs.withStatus(['running', 'queued']);
    for (const job of left) {
      if (job.status === 'running') {
        await this.o.repository.jobs.update(job.id, {
          interrupted: 1,
          status: 'queued',
          status_message: 'interrupted by a server stop; resuming',
          history: withAttempt(job, {
            attempt: Number(job.attempts),
            started_at: attemptStart(job),
            ended_at: now(),
            outcome: 'interrupted',
            counts: job,
          }),
        });
        this.o.logger.warn({ job: job.id }, 'job was interrupted by a server stop: resuming it');
      }
      this.enqueue(job.id, job.status === 'running' || Boolean(job.interrupted));
    }
    return left.map((j) => j.id);
  }

  /** Cancels a queued or running job; returns false when it was already final. */
  async cancel(id: string): Promise<boolean> {
    const run = this.running.get(id);
    if (run) {
      run.reason = 'cancel';
      run.controller.abort(run.reason);
      await run.done;
      return true;
    }
    const index = this.queue.findIndex((q) => q.id === id);
    if (index >= 0) this.queue.splice(index, 1);
    const moved = await this.o.repository.jobs.transition(id, ['queued', 'running'], 'canceled', {
      finished_at: now(),
      status_message: 'canceled before it started',
    });
    if (moved) await this.publish(id);
    return moved;
  }

  /** The ids of the jobs running now (what a stopping server hands back: they resume on the next start). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when no job is queued or running. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) {
      await Promise.all([...this.running.values()].map((r) => r.done));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops taking jobs and aborts the running ones, leaving them `running` so a restart resumes them. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const run of this.running.values()) {
      run.reason ??= 'shutdown';
      run.controller.abort(run.reason);
    }
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.max && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (this.running.has(next.id)) continue;
      const run: Running = { controller: new AbortController(), reason: null, done: Promise.resolve() };
      this.running.set(next.id, run);
      run.done = this.execute(next.id, next.resume, run)
        .catch((error) =>
          this.o.logger.error({ job: next.id, err: errorMessage(error) }, 'job executor error'),
        )
        .finally(() => {
          this.running.delete(next.id);
          this.pump();
        });
    }
  }

  private async publish(id: string): Promise<void> {
    this.emit('job', jobView(await this.o.repository.jobs.get(id)));
  }

  /** A job's inline records scored (WML v4 `input_data`): the job's patch with the predictions in its spec. */
  private async scoreInline(deploymentId: string, spec: JobSpec, inputs: InlineInput[]) {
    if (!this.o.inline) throw new Error('this server scores no inline job input');
    const predictions = await this.o.inline(deploymentId, inputs);
    return {
      spec: JSON.stringify({ ...spec, predictions }),
      total: inputs.length,
      scored: inputs.length,
      listing_done: 1,
    };
  }

  /** Publishes every progress event; writes the counts (and the failures so far) at most once a `persistMs`. */
  private progressHandler(id: string, live: LiveFailures) {
    const repo = this.o.repository;
    let lastPersist = 0;
    let last: Record<string, number> | null = null;
    /** Writes the latest counts (a server stop: the interrupted attempt's history reads them on the next start). */
    const persist = () => (last ? repo.jobs.update(id, last).catch(() => undefined) : Promise.resolve());
    const handler = (e: ProgressEvent) => {
      const patch = {
        total: e.counts.listed,
        scored: e.counts.scored,
        failed: e.counts.failed,
        skipped: e.counts.skipped,
        records: e.counts.records,
        listing_done: e.listingDone ? 1 : 0,
        files_per_second: Math.round(e.filesPerSecond * 10) / 10,
      };
      last = patch;
      if (performance.now() - lastPersist >= this.persistMs) {
        lastPersist = performance.now();
        void repo.jobs.update(id, patch).catch(() => undefined);
        live.flush();
      }
      void repo.jobs
        .get(id)
        .then((row) => this.emit('job', jobView({ ...row, ...patch })))
        .catch(() => undefined);
    };
    return { handler, persist };
  }

  /** Ends an attempt: the job's final status, counts and message, and the attempt in its history. */
  private async finish(id: string, attempt: number, started: string, status: JobStatus, patch: JobPatch) {
    const repo = this.o.repository;
    const row = await repo.jobs.get(id);
    const ended = now();
    const counts = {
      scored: Number(patch.scored ?? row.scored),
      failed: Number(patch.failed ?? row.failed),
      skipped: Number(patch.skipped ?? row.skipped),
    };
    const history = withAttempt(row, {
      attempt,
      started_at: started,
      ended_at: ended,
      outcome: status,
      counts,
    });
    await repo.jobs.transition(id, ['running'], status, { finished_at: ended, history, ...patch });
    await this.publish(id);
  }

  private async execute(id: string, resume: boolean, run: Running): Promise<void> {
    const { repository: repo, logger } = this.o;
    const job = await repo.jobs.get(id);
    const attempt = Number(job.attempts) + 1;
    const moved = await repo.jobs.transition(id, ['queued', 'running'], 'running', {
      attempts: attempt,
      started_at: job.started_at ?? now(),
      status_message: job.interrupted ? 'resumed after a server stop' : null,
    });
    if (!moved) return;
    await this.publish(id);
    const started = now();
    const finish = (status: JobStatus, patch: JobPatch) => this.finish(id, attempt, started, status, patch);
    const live = new LiveFailures(repo, id, attempt);
    let opened: { close(): Promise<void> }[] = [];
    let persist = (): Promise<unknown> => Promise.resolve();
    try {
      const deployment = await repo.deployments.get(job.deployment_id);
      const version = await repo.models.getVersion(deployment.model_version_id);
      const options = JSON.parse(deployment.options) as DeploymentOptionsRow;
      const spec = jobSpecOf(job);
      if (spec?.input_data) {
        await finish('completed', await this.scoreInline(deployment.id, spec, spec.input_data));
        return;
      }
      // A job of its own (WML v4) reads and writes its own places; others their deployment's.
      const own = job.source_connection_id !== null ? job : deployment;
      const sourceConn = await repo.connections.get(own.source_connection_id ?? '');
      const targetConn = await repo.connections.get(own.target_connection_id ?? '');
      const sourcePlace = { bucket: own.source_bucket, prefix: own.source_prefix ?? '' };
      const targetPlace = { bucket: own.target_bucket, prefix: own.target_prefix ?? '' };
      const sourceLoc = placeLocation(sourceConn, sourcePlace);
      const targetLoc = placeLocation(targetConn, targetPlace);
      if (placesClash(sourceLoc, targetLoc, spec)) {
        await finish('failed', {
          status_message: `the target ${formatLocation(targetLoc)} overlaps the source ${formatLocation(sourceLoc)}`,
        });
        return;
      }
      const roots = this.o.roots;
      for (const conn of [sourceConn, targetConn]) await this.o.endpoints.check(conn.endpoint);
      const opened0 = openPlace(sourceConn, sourcePlace, this.o.box, {
        roots,
        concurrency: options.concurrency,
      });
      // A rerun of the failed inputs lists only them (the keys the job it reruns failed on).
      const only = job.mode === 'failed' && job.rerun_of ? await repo.jobs.failedFiles(job.rerun_of) : null;
      const source = only ? onlyKeys(opened0, new Set(only)) : opened0;
      const target = openPlace(targetConn, targetPlace, this.o.box, {
        roots,
        create: true,
        concurrency: options.concurrency,
      });
      opened = [source, target];
      const progress = this.progressHandler(id, live);
      persist = progress.persist;
      const runner = this.o.runner;
      logger.info(
        { job: id, deployment: deployment.id, attempt, resume, runner: runner.kind },
        'job started',
      );
      const report = await runner.run({
        jobId: id,
        runId: `${id}-${attempt}`,
        version,
        source: { driver: source, location: sourceLoc, connection: sourceConn, place: sourcePlace },
        target: { driver: target, location: targetLoc, connection: targetConn, place: targetPlace },
        batchSize: options.batch_size,
        concurrency: options.concurrency,
        maxFailures: options.max_failures ? parseFailureLimit(options.max_failures) : undefined,
        formats: {
          ...formatOptions(options),
          ...(spec?.output_format ? { outputFormat: spec.output_format } : {}),
        },
        include: spec?.include,
        resume: resume || Boolean(job.interrupted) || job.mode === 'resume',
        signal: run.controller.signal,
        onProgress: progress.handler,
        onFailure: (f) => live.add(f),
        onWarning: (message) => logger.warn({ job: id }, message),
      });
      // A server stop: the job stays `running` (the next start resumes it) with its failures so far kept.
      await live.close(run.reason === 'shutdown');
      if (run.reason === 'shutdown') {
        await persist();
        return;
      }
      await repo.jobs.setAttemptFailures(
        id,
        attempt,
        report.failures.map((f) => ({ file: f.file, stage: f.stage, code: f.code, reason: f.reason })),
      );
      const { status, message } = finalStatus(report);
      await finish(status, {
        status_message: [message, report.reportError].filter((m) => m).join('; ') || null,
        ...reportCounts(report),
      });
      logger.info({ job: id, status, counts: report.counts }, 'job finished');
    } catch (error) {
      await live.close(run.reason === 'shutdown');
      if (run.reason === 'shutdown') {
        await persist();
        return;
      }
      logger.warn({ job: id, err: errorMessage(error) }, 'job failed');
      await finish(run.reason === 'cancel' ? 'canceled' : 'failed', { status_message: errorMessage(error) });
    } finally {
      await Promise.all(opened.map((d) => d.close().catch(() => undefined)));
    }
  }
}

function reportCounts(report: JobReport) {
  return {
    total: report.counts.total,
    scored: report.counts.scored,
    failed: report.counts.failed,
    skipped: report.counts.skipped,
    records: report.counts.records,
    listing_done: report.stoppedReason ? 0 : 1,
    duration_ms: report.durationMs,
    files_per_second: report.filesPerSecond,
    records_per_second: report.recordsPerSecond,
  };
}

/**
 * `completed` and `completed_with_failures` → completed (failures are in the counts); `stopped` (max
 * failures) → failed; `canceled` → canceled.
 */
function nonFiniteMessage(report: JobReport): string | null {
  const n = report.counts.nonFinite;
  return n > 0 ? `${n} input(s) scored with NaN/Infinity outputs (written as null)` : null;
}

function finalStatus(report: JobReport): { status: JobStatus; message: string | null } {
  switch (report.status) {
    case 'completed':
      return { status: 'completed', message: nonFiniteMessage(report) };
    case 'completed_with_failures':
      return {
        status: 'completed',
        message: [
          report.counts.failed > 0 ? `${report.counts.failed} input(s) failed` : null,
          report.counts.failedRecords
            ? `${report.counts.failedRecords} record(s) failed in scored files`
            : null,
          nonFiniteMessage(report),
        ]
          .filter((m) => m !== null)
          .join('; '),
      };
    case 'canceled':
      return { status: 'canceled', message: 'canceled' };
    default:
      return { status: 'failed', message: report.stoppedReason };
  }
}
