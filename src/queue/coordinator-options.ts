import type { FailureLimit, FileFailure, FormatOptions, ProgressEvent } from '../batch/index.js';
import type { BucketDriver } from '../storage/index.js';
import type { ShardBucketOptions, ShardModelRef, ShardPlace } from './types.js';

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
  /** JSON Lines and CSV files larger than this are split into byte-range shards of this size. Default 256 MiB. */
  splitBytes?: number;
  batchSize?: number;
  concurrency?: number;
  maxFileBytes?: number;
  include?: string[];
  /** Keys outside `include` are skipped silently instead of failing (a job that reads one named file). */
  onlyInclude?: boolean;
  /**
   * How inputs are read besides the seed's JSON files (JSON Lines, CSV, zip): each record file is a shard of
   * its own, resumed per file.
   */
  formats?: FormatOptions;
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
  /** Each failure as its shard's result comes in (not those of shards counted by an earlier coordinator). */
  onFailure?: (failure: FileFailure) => void;
}

/**
 * Where a coordinator is: `listing` the source and enqueuing shards, `awaiting` the shards out after the
 * listing, `stopping` (too many failures: waiting shards removed, taken ones awaited), then `finished`.
 */
export type CoordinatorState = 'starting' | 'listing' | 'awaiting' | 'stopping' | 'finished';
