import type { Queue } from 'bullmq';
import type { ShardData, ShardResult } from './types.js';

/** A shard's return value as BullMQ hands it back (a JSON string from Redis, or the object itself). */
export const parseResult = (value: unknown): ShardResult =>
  (typeof value === 'string' ? JSON.parse(value) : value) as ShardResult;

/** Removes a job's shards that no worker has taken yet (active ones finish); returns the ids removed. */
export async function removeWaiting(queue: Queue<ShardData, ShardResult>, ids: string[]): Promise<string[]> {
  const removed: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (!job || (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized')) return;
      try {
        await job.remove();
        removed.push(id);
      } catch {
        // taken by a worker meanwhile: it finishes and is counted (or ignored after a cancel)
      }
    }),
  );
  return removed;
}
