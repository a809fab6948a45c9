import type { BucketDriver } from '../../storage/index.js';
import { type FileStages, inThreadStages, type ReadSpec } from '../file-stages.js';
import type { Semaphore } from '../semaphore.js';
import { FileThreads } from './pool.js';

/**
 * Where a job's file stages run: `threads` worker threads for the sides that are local folders (and for parsing
 * JSON Lines when asked), else here.
 */
export interface FileStagesOptions {
  source: BucketDriver;
  target: BucketDriver;
  spec: ReadSpec;
  /** Bounds storage requests made on the job's own thread. */
  io: Semaphore;
  /** Worker threads for folder I/O; 0 keeps everything on the job's thread. */
  threads: number;
  /** Heap of each thread (the `io-thread-heap` limit). */
  threadHeapBytes: number;
  /** The threads also parse JSON Lines (see `BatchJobOptions.parseOnThreads`). */
  parse?: boolean;
}

export function openFileStages(o: FileStagesOptions): FileStages {
  const here = inThreadStages(o.source, o.target, o.spec, o.io);
  const source = o.source.fsOptions ?? null;
  const target = o.target.fsOptions ?? null;
  // Threads also when neither side is a folder if they parse JSON Lines.
  if (o.threads <= 0 || (!source && !target && !o.parse)) return here;
  return new FileThreads({ source, target, spec: o.spec }, o.threads, here, o.threadHeapBytes);
}
