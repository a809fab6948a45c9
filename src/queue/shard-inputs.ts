import type { BucketDriver } from '../storage/index.js';
import { loadShardLedger } from './shard-ledger.js';
import type { ShardData, ShardEntry } from './types.js';

/** A shard's inputs split into those to score and those already done. */
export interface ShardInputs {
  todo: ShardEntry[];
  /** Written by an earlier attempt of this shard (counted as scored). */
  recovered: number;
  /** The records of those inputs (as their ledger lines give them), counted in the shard's records. */
  recoveredRecords: number;
  /** Written by an earlier job with the same model (`resume`; counted as skipped). */
  skipped: number;
}

/**
 * Which inputs of a shard still need scoring. An input is done when a ledger records its output as written from
 * the same input version by the same model, and the output is still there (`outputKey`): first the job's resume ledger
 * (`resumeDone`, read once per run by the worker), then the ledgers of this shard's earlier attempts.
 */
export async function shardInputs(
  target: BucketDriver,
  data: ShardData,
  shardId: string,
  resumeDone: Map<string, string> | null,
  /** The output key of an input, or null when its ledger entry alone tells (a zip's folder of outputs). */
  outputKey: (key: string) => string | null = (key) => key,
): Promise<ShardInputs> {
  const attempts = await loadShardLedger(target, shardId, data.model.sha256);
  if (attempts.done.size === 0 && (resumeDone === null || resumeDone.size === 0))
    return { todo: data.entries, recovered: 0, recoveredRecords: 0, skipped: 0 };
  const state = await mapLimit(data.entries, Math.max(1, data.concurrency), async ([key, etag]) => {
    const kind =
      resumeDone?.get(key) === etag ? 'skipped' : attempts.done.get(key) === etag ? 'recovered' : null;
    const output = kind ? outputKey(key) : null;
    return kind && (output === null || (await target.head(output))) ? kind : 'todo';
  });
  const out: ShardInputs = { todo: [], recovered: 0, recoveredRecords: 0, skipped: 0 };
  data.entries.forEach((entry, i) => {
    const s = state[i];
    if (s === 'todo') out.todo.push(entry);
    else out[s] += 1;
    if (s === 'recovered') out.recoveredRecords += attempts.records.get(entry[0]) ?? 0;
  });
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
