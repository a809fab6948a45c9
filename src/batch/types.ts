import type { Engine } from '../engine/types.js';
import type { BucketDriver } from '../storage/index.js';
import type { Limits } from '../util/limits.js';
import type { FormatOptions } from './formats/types.js';

/** Where in the pipeline a file failed. */
export type Stage = 'list' | 'read' | 'parse' | 'validate' | 'score' | 'format' | 'write';

/** One input that could not be scored, with what went wrong where. */
export interface FileFailure {
  file: string;
  /**
   * For one record of a record file (JSON Lines, CSV, a zip entry's line is absent): the 1-based line where
   * it starts. The file itself was scored; only this record failed.
   */
  line?: number;
  /** For one entry of a zip of input files: its name. The zip itself was scored. */
  entry?: string;
  stage: Stage;
  code: string;
  reason: string;
}

/**
 * A scored input whose outputs hold NaN or ±Infinity for some record: written (those values and the classes
 * computed from them as `null`) and counted as scored, but reported, since such numbers answer nothing.
 */
export interface FileWarning {
  file: string;
  code: 'NON_FINITE_OUTPUT';
  reason: string;
}

export interface JobCounts {
  /** Inputs found by the listing so far (the total once `listingDone`). */
  listed: number;
  scored: number;
  failed: number;
  skipped: number;
  /** Records scored (a file may hold several). */
  records: number;
  /** Scored inputs with a NaN or ±Infinity output in some record (also counted in `scored`). */
  nonFinite: number;
  /** Records that failed alone inside record files (JSON Lines, CSV) that were otherwise scored. */
  failedRecords?: number;
  /** Records scored in record files (JSON Lines, CSV, zips; also counted in `records`), when there were some. */
  recordFileRecords?: number;
}

export interface ProgressEvent {
  jobId: string;
  counts: JobCounts;
  listingDone: boolean;
  elapsedMs: number;
  filesPerSecond: number;
  /** Seconds left at the current rate, when the total is known. */
  etaSeconds: number | null;
}

/** The model a job scores with: a compiled engine plus what identifies it in reports and resume records. */
export interface JobModel {
  engine: Engine;
  /** sha256 of the model file: outputs are only reused on `--resume` when produced by the same model. */
  sha256: string;
  name: string;
  format?: string;
  kerasVersion?: string;
}

/** `--max-failures N` or `--max-failures P%`. */
export type FailureLimit = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

export interface BatchJobOptions {
  model: JobModel;
  source: BucketDriver;
  target: BucketDriver;
  /** Text of the source and target locations, for the report. */
  sourceText?: string;
  targetText?: string;
  jobId?: string;
  /** Records per engine call, gathered across files. Default 256. */
  batchSize?: number;
  /** Concurrent storage requests. Default 16. */
  concurrency?: number;
  /** Worker threads that read and write local folders (0: all on the job's thread). Default: cores, at most 4. */
  ioThreads?: number;
  /**
   * Parse JSON Lines on the file threads (blocks of lines, a few at once) instead of the job's thread. Off by
   * default: on a 2-core machine whose cores the engine already uses, it measured slower and heavier
   * (docs/input-formats.md); it is for machines with cores to spare.
   */
  parseOnThreads?: boolean;
  /**
   * Budgets: records per file, output bytes per file, I/O threads (default: the process's,
   * `currentLimits()`). A file over one fails with a `LIMIT_EXCEEDED` error naming it.
   */
  limits?: Limits;
  /** Inputs larger than this fail with "over the size limit". Default 64 MiB. */
  maxFileBytes?: number;
  /** Glob patterns (matched on the key) of the inputs; others fail as "not an input file". Default `**\/*.json`. */
  include?: string[];
  /** Keys outside `include` are skipped silently instead of failing (a job that reads one named file). */
  onlyInclude?: boolean;
  /**
   * The failure limit. Failed records of record files (JSON Lines lines, CSV rows) count as failures too, and
   * their files' records as finished inputs, for a percentage.
   */
  maxFailures?: FailureLimit;
  /** How inputs are read (JSON Lines, CSV, zip) besides the seed's one JSON per file, and their options. */
  formats?: FormatOptions;
  /** Skip inputs whose output exists and was produced from the same input version by the same model. */
  resume?: boolean;
  /**
   * The prefix of the earlier runs' ids whose crash this run takes care of (their inputs in flight are retried
   * alone; one that crashed a process alone is failed "crashed the worker; skipped"). With `resume` and no
   * scope: every earlier run in the target. Without `resume`: those runs' ledgers are read too (a queue shard's
   * earlier attempts).
   */
  crashScope?: string;
  /**
   * Reach the source and target (and write to the target) before any input starts; a failure ends the job at
   * once with one {@link import('./preflight.js').PreflightError}. Default true (a queue worker's shards: false,
   * their job was checked once).
   */
  preflight?: boolean;
  /** Write `_keras-batch/<job-id>/report.json` and `errors.jsonl` next to the outputs. Default true. */
  writeReport?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Each failure as it happens (live views of a running job). */
  onFailure?: (failure: FileFailure) => void;
  /**
   * Count the source's inputs ahead of the scoring (a second listing) so progress has a total early. Default
   * true; a listing that costs per request (a huge S3 bucket) may turn it off.
   */
  countAhead?: boolean;
  /** How often `onProgress` fires, in ms. Default 250. */
  progressIntervalMs?: number;
  /**
   * Called once per job when predictions leave [0, 1] (Keras' predict_proba warned then), and once per input
   * whose outputs hold NaN or ±Infinity.
   */
  onWarning?: (message: string) => void;
}

export interface StageTimes {
  list: number;
  read: number;
  parse: number;
  score: number;
  format: number;
  write: number;
}

export interface JobReport {
  jobId: string;
  status: 'completed' | 'completed_with_failures' | 'stopped' | 'canceled';
  /** Why the job stopped early (max failures, cancel), when it did. */
  stoppedReason: string | null;
  model: { name: string; sha256: string; format?: string; kerasVersion?: string; backend: string };
  source: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: JobCounts & { total: number };
  filesPerSecond: number;
  recordsPerSecond: number;
  batchSize: number;
  concurrency: number;
  /** Summed time spent in each stage (ms; stages overlap, so shares are of the sum). */
  stageMs: StageTimes;
  failures: FileFailure[];
  /** Scored inputs that deserve a look: outputs holding NaN or ±Infinity (`counts.nonFinite` of them). */
  warnings: FileWarning[];
  /** Peak resident memory of the process so far, in MiB (the whole process, model included). */
  peakRssMiB: number;
  /** Where the report was written in the target, when it was. */
  reportKey: string | null;
  /**
   * Why the report could not be written in the target (full, read-only…), when it could not: the job's outcome
   * and counts stand, and are still printed and stored.
   */
  reportError: string | null;
}
