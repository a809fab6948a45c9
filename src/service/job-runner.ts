import { type FormatOptions, runBatchJob } from '../batch/index.js';
import type { FailureLimit, FileFailure, JobReport, ProgressEvent } from '../batch/types.js';
import type { ConnectionRow, ModelVersionRow } from '../repository/index.js';
import { type BucketDriver, formatLocation, type Location } from '../storage/index.js';
import type { ConnectionPlace } from './connection-drivers.js';
import type { EngineCache } from './engine-cache.js';

/** A job's source or target: the driver the executor opened, and where it points. */
export interface JobPlace {
  driver: BucketDriver;
  location: Location;
  connection: ConnectionRow;
  place: ConnectionPlace;
}

/** Why a run is aborted: a user's cancel, or the server stopping (the job resumes on the next start). */
export type AbortReason = 'cancel' | 'shutdown';

/** One run of a deployment's job, prepared by the executor. */
export interface JobRunContext {
  /** The repository job id. */
  jobId: string;
  /** This run's id, `<job id>-<attempt>`: its report folder (and, locally, its ledger chunks). */
  runId: string;
  version: ModelVersionRow;
  source: JobPlace;
  target: JobPlace;
  batchSize?: number;
  concurrency?: number;
  maxFailures?: FailureLimit;
  /** How inputs are read (the deployment's `input_format` and its options). */
  formats?: FormatOptions;
  /** Only these inputs under the source (globs), others skipped: a job that reads one named file. */
  include?: string[];
  /** Skip inputs already scored from the same input version by the same model. */
  resume: boolean;
  /** Aborted with an {@link AbortReason} as its reason. */
  signal: AbortSignal;
  onProgress(event: ProgressEvent): void;
  /** Each failure as it happens (the local runner), or as its shard's result comes in (queue workers). */
  onFailure?: (failure: FileFailure) => void;
  onWarning(message: string): void;
}

/** Runs a job: in this process (the default) or over queue workers (`serve --redis`). */
export interface JobRunner {
  readonly kind: 'local' | 'distributed';
  run(context: JobRunContext): Promise<JobReport>;
}

/** Runs jobs in this process with the batch runner, on the server's compiled engines. */
export function localJobRunner(engines: EngineCache): JobRunner {
  return {
    kind: 'local',
    async run(c) {
      const lease = await engines.acquire(c.version);
      const model = lease.model;
      return runBatchJob({
        model: {
          engine: model.engine,
          sha256: model.sha256,
          name: c.version.file_name,
          format: c.version.format,
          kerasVersion: c.version.keras_version,
        },
        source: c.source.driver,
        target: c.target.driver,
        sourceText: formatLocation(c.source.location),
        targetText: formatLocation(c.target.location),
        jobId: c.runId,
        batchSize: c.batchSize,
        concurrency: c.concurrency,
        maxFailures: c.maxFailures,
        formats: c.formats,
        ...(c.include ? { include: c.include, onlyInclude: true } : {}),
        resume: c.resume,
        crashScope: `${c.jobId}-`,
        signal: c.signal,
        onProgress: c.onProgress,
        onFailure: c.onFailure,
        onWarning: c.onWarning,
      }).finally(() => lease.release());
    },
  };
}
