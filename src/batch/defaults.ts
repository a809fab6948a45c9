import { availableParallelism } from 'node:os';

/** The batch runner's defaults. */
export const BATCH_DEFAULTS = {
  batchSize: 256,
  concurrency: 16,
  maxFileBytes: 64 * 1024 * 1024,
  progressIntervalMs: 250,
  /** Worker threads reading and writing local folders (0: on the job's thread). */
  ioThreads: Math.min(4, availableParallelism()),
};
