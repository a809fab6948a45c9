import { UnrecoverableError } from 'bullmq';
import type { FormatOptions } from '../batch/index.js';
import type { FileFailure, FileWarning } from '../batch/types.js';

/** The BullMQ queue every coordinator feeds and every worker takes shards from. */
export const SHARD_QUEUE = 'keras-batch-shards';

/**
 * A shard failure that fails the whole job at once (the model cannot be loaded, the source or target cannot be
 * opened): BullMQ does not retry it (it is an UnrecoverableError), and the coordinator tells it by its class
 * name in the job's stored trace from BullMQ's own unrecoverable failures (a shard stalled too often), which
 * fail only that shard's inputs.
 */
export class ShardJobFailed extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'ShardJobFailed';
  }
}

/** Whether a failed shard's stored stack traces end with a {@link ShardJobFailed}. */
export function isJobFailure(stacktrace: string[] | null | undefined): boolean {
  const last = stacktrace?.[stacktrace.length - 1];
  return typeof last === 'string' && last.startsWith('ShardJobFailed:');
}

/** A model file every worker can read at the same path, and the sha256 it must have (`score --redis`). */
export interface ShardModelFile {
  path: string;
  architecture?: string;
  sha256: string;
  name: string;
}

/**
 * A model version stored in the repository (`serve --redis`, `score --redis --model <stored model>`): workers
 * with repository access read its file from the artifact store (or the server) and check the sha256.
 */
export interface ShardModelVersion {
  versionId: string;
  sha256: string;
  name: string;
  /** `score --redis`: the coordinator's copy of the file, read by a worker on its machine without a repository. */
  path?: string;
  architecture?: string;
}

/** How a worker finds the model. */
export type ShardModelRef = ShardModelFile | ShardModelVersion;

/** Whether a model reference names a stored version (else a file path). */
export const isModelVersion = (ref: ShardModelRef): ref is ShardModelVersion => 'versionId' in ref;

/**
 * A bucket and prefix of a stored connection: the worker reads the connection (endpoint, sealed keys) from the
 * repository and unseals the keys in memory. Only ids travel through Redis, never keys.
 */
export interface ShardPlace {
  connectionId: string;
  bucket: string | null;
  prefix: string;
}

/** S3 settings a worker needs to open a location; never credentials (workers use their own environment). */
export interface ShardBucketOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** One input of a shard: `[key, etag, size]` (compact: shards are kept in Redis). */
export type ShardEntry = [key: string, etag: string, size: number];

/**
 * A byte range of one large JSON Lines or CSV file scored as a shard of its own (part-plan.ts): the bytes
 * `[start, end)`, cut at line starts (CSV: rows), written apart and joined into the file's output by the part
 * that completes the set.
 */
export interface ShardPart {
  /** The shard number of the file's first part: names the file's parts in the job. */
  file: number;
  index: number;
  count: number;
  start: number;
  end: number;
  /** Lines of the file before `start`. */
  lines: number;
  /** CSV: data rows before `start`. */
  rows?: number;
  /** CSV, after the first part: the file's header line, base64. */
  header?: string;
}

/** The payload of one shard job. Holds no secret. */
export interface ShardData {
  jobId: string;
  /** The coordinator run that enqueued it (a restarted server's run has another): keys per-run caches. */
  run?: string;
  shard: number;
  model: ShardModelRef;
  /** The locations' text: opened as is, or (with `places`) shown in logs only. */
  source: string;
  target: string;
  /** Stored connections' places (`serve --redis`): opened through the worker's repository. */
  places?: { source: ShardPlace; target: ShardPlace };
  bucket: ShardBucketOptions;
  batchSize: number;
  concurrency: number;
  maxFileBytes: number;
  include?: string[];
  /** How inputs are read (JSON Lines, CSV, zip besides the seed's JSON files); absent: the seed's format. */
  formats?: FormatOptions;
  /** Skip inputs whose output was written from the same input version by the same model (`--resume`). */
  resume?: boolean;
  entries: ShardEntry[];
  /** A byte range of its one entry (a large JSON Lines or CSV file split across workers). */
  part?: ShardPart;
}

/** What a worker returns for a finished shard: its outcomes, aggregated by the coordinator once per shard. */
export interface ShardResult {
  shard: number;
  scored: number;
  failed: number;
  /** Inputs skipped with `resume`: written by an earlier job with the same model. */
  skipped?: number;
  /** Inputs already scored by an earlier attempt of this shard (counted in `scored`, not scored again). */
  recovered: number;
  records: number;
  /** Scored inputs whose outputs hold NaN or ±Infinity (absent from workers of earlier versions). */
  nonFinite?: number;
  /** Records that failed alone in record files (JSON Lines lines, CSV rows, zip entries), all counted. */
  failedRecords?: number;
  /** Records scored in record files: finished inputs for a percentage `--max-failures`. */
  recordFileRecords?: number;
  warnings?: FileWarning[];
  /** Failed inputs, then failed records (those with a `line` or `entry`; the first ones only when many). */
  failures: FileFailure[];
  attempt: number;
  worker: string;
  /** A part of a split file: the file's key (its file counts come from the part that joined it). */
  partOf?: string;
}

/** The BullMQ job id of a shard. */
export const shardJobId = (jobId: string, shard: number): string => `${jobId}-${shard}`;

/**
 * The stem of a shard's runs: each attempt runs as `<stem>-<random>`, so its ledger chunks are
 * `_keras-batch/ledger/<stem>-<random>-<n>.jsonl` and never overwrite an earlier attempt's.
 */
export const shardRunId = (jobId: string, shard: number): string => `${jobId}-s${shard}`;

/** A shard the coordinator enqueued and has not counted yet: its inputs and the payload it was sent with. */
export interface OutstandingShard {
  entries: ShardEntry[];
  data: ShardData;
}
