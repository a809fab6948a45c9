import { QueueError } from './errors.js';

/** How a coordinator cuts and paces a job's shards, and retries a shard. */
export interface QueueSettings {
  /** Inputs per shard. */
  shardSize: number;
  /** Shards of a job queued or running at once; the listing waits while this many are out. */
  maxQueuedShards: number;
  /** Attempts per shard (exponential backoff from `backoffMs`). */
  attempts: number;
  backoffMs: number;
  /**
   * JSON Lines and CSV files larger than this many bytes are split into parts of this size (aligned to lines),
   * each a shard any worker may score.
   */
  splitBytes: number;
}

export const QUEUE_DEFAULTS: Readonly<QueueSettings> = {
  shardSize: 512,
  maxQueuedShards: 32,
  attempts: 5,
  backoffMs: 1000,
  splitBytes: 256 * 1024 * 1024,
};

/** How a worker takes shards and keeps models. */
export interface WorkerSettings {
  /** Shards scored at once by one worker process. */
  concurrency: number;
  /** Compiled models kept (least recently used evicted). */
  models: number;
  /** How long a shard's lock lasts without renewal: a killed worker's shard is retried after about this. */
  lockDurationMs: number;
}

export const WORKER_DEFAULTS: Readonly<WorkerSettings> = {
  concurrency: 1,
  models: 2,
  lockDurationMs: 30_000,
};

function checked(given: Record<string, number | undefined>, names: readonly string[], what: string) {
  const out: Record<string, number> = {};
  for (const key of names) {
    const value = given[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new QueueError(
        'QUEUE_BAD_OPTION',
        `${what} ${key} must be a positive integer, got ${String(value)}`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** The coordinator's settings: the defaults merged with what was given, each checked (as BullMQ's Worker does). */
export function queueOptions(given: Partial<QueueSettings>): QueueSettings {
  return { ...QUEUE_DEFAULTS, ...checked({ ...given }, Object.keys(QUEUE_DEFAULTS), 'queue') };
}

/** A worker's settings, merged and checked the same way. */
export function workerOptions(given: Partial<WorkerSettings>): WorkerSettings {
  return { ...WORKER_DEFAULTS, ...checked({ ...given }, Object.keys(WORKER_DEFAULTS), 'worker') };
}
