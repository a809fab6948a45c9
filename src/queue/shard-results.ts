import type { Redis } from 'ioredis';
import type { ShardResult } from './types.js';

/** How long an abandoned job's results and finished shards stay in Redis (a week, for a server to come back). */
export const KEEP_SECONDS = 7 * 24 * 3600;

/**
 * The results a coordinator has counted, kept in Redis next to the shards (`keras-batch:job:<id>:results`, one
 * field per shard) until the job ends. A coordinator that restarts with the same job id (a restarted server)
 * reads them back: those shards are neither enqueued nor counted again.
 */
export class ShardResults {
  private readonly key: string;

  constructor(
    /** The queue whose connection the results share (BullMQ's client is ioredis). */
    private readonly queue: { readonly client: Promise<unknown> },
    jobId: string,
  ) {
    this.key = `keras-batch:job:${jobId}:results`;
  }

  private async client(): Promise<Redis> {
    return (await this.queue.client) as Redis;
  }

  /** Every result counted by an earlier run of this job, by shard number. */
  async load(): Promise<Map<number, ShardResult>> {
    const client = await this.client();
    const out = new Map<number, ShardResult>();
    let cursor = '0';
    do {
      const [next, fields] = await client.hscan(this.key, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < fields.length; i += 2)
        out.set(Number(fields[i]), JSON.parse(fields[i + 1]) as ShardResult);
    } while (cursor !== '0');
    return out;
  }

  /** Records a shard's result as counted (before its BullMQ job is removed); kept a week after the last one. */
  async save(result: ShardResult): Promise<void> {
    const client = await this.client();
    await client.hset(this.key, String(result.shard), JSON.stringify(result));
    await client.expire(this.key, KEEP_SECONDS);
  }

  /** Forgets the job's results (it ended). */
  async clear(): Promise<void> {
    await (await this.client()).del(this.key);
  }
}
