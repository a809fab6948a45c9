import type { FileFailure } from '../batch/types.js';

/** The BullMQ queue every coordinator feeds and every worker takes shards from. */
export const SHARD_QUEUE = 'keras-batch-shards';

/** Prefix of an unrecoverable shard failure's reason: the job fails once with it instead of retrying. */
export const UNRECOVERABLE_PREFIX = 'UNRECOVERABLE ';

/** How a worker finds the model: a file path every worker can read, and the sha256 it must have. */
export interface ShardModelRef {
  path: string;
  architecture?: string;
  sha256: string;
  name: string;
}

/** S3 settings a worker needs to open a location; never credentials (workers use their own environment). */
export interface ShardBucketOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** One input of a shard: `[key, etag, size]` (compact: shards are kept in Redis). */
export type ShardEntry = [key: string, etag: string, size: number];

/** The payload of one shard job. Holds no secret. */
export interface ShardData {
  jobId: string;
  shard: number;
  model: ShardModelRef;
  source: string;
  target: string;
  bucket: ShardBucketOptions;
  batchSize: number;
  concurrency: number;
  maxFileBytes: number;
  include?: string[];
  entries: ShardEntry[];
}

/** What a worker returns for a finished shard: its outcomes, aggregated by the coordinator once per shard. */
export interface ShardResult {
  shard: number;
  scored: number;
  failed: number;
  /** Inputs already scored by an earlier attempt of this shard (counted in `scored`, not scored again). */
  recovered: number;
  records: number;
  failures: FileFailure[];
  attempt: number;
  worker: string;
}

/** The BullMQ job id of a shard. */
export const shardJobId = (jobId: string, shard: number): string => `${jobId}-${shard}`;

/**
 * The stem of a shard's runs: each attempt runs as `<stem>-<random>`, so its ledger chunks are
 * `_keras-batch/ledger/<stem>-<random>-<n>.jsonl` and never overwrite an earlier attempt's.
 */
export const shardRunId = (jobId: string, shard: number): string => `${jobId}-s${shard}`;
