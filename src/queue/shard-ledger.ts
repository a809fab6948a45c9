import { type LedgerState, ResumeLedger } from '../batch/index.js';
import type { BucketDriver } from '../storage/index.js';

/**
 * What earlier attempts of one shard recorded as written whole (input key → input version, and its records), read from that
 * shard's own ledger chunks `_keras-batch/ledger/<shard id>-<attempt>-<n>.jsonl` in the target. Only chunks of the same
 * model count. A retried shard skips these and scores the rest; an output written but not yet recorded is
 * scored again and replaced whole with identical content.
 */
export function loadShardLedger(
  target: BucketDriver,
  shardId: string,
  modelSha256: string,
): Promise<LedgerState> {
  return ResumeLedger.loadState(target, modelSha256, `${shardId}-`);
}
