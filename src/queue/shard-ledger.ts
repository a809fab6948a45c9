import { JOB_PREFIX } from '../batch/index.js';
import type { BucketDriver } from '../storage/index.js';

/**
 * What earlier attempts of one shard recorded as written whole (input key → input version), read from that
 * shard's own ledger chunks `_keras-batch/ledger/<shard id>-<attempt>-<n>.jsonl` in the target. Only chunks of the same
 * model count. A retried shard skips these and scores the rest; an output written but not yet recorded is
 * scored again and replaced whole with identical content.
 */
export async function loadShardLedger(
  target: BucketDriver,
  shardId: string,
  modelSha256: string,
): Promise<Map<string, string>> {
  const done = new Map<string, string>();
  for await (const page of target.list(`${JOB_PREFIX}ledger/${shardId}-`)) {
    for (const entry of page) {
      if (!entry.key.endsWith('.jsonl')) continue;
      const text = new TextDecoder().decode((await target.get(entry.key)).body);
      const [first, ...rest] = text.split('\n');
      try {
        if ((JSON.parse(first) as { model_sha256?: string }).model_sha256 !== modelSha256) continue;
      } catch {
        continue;
      }
      for (const line of rest) {
        if (!line) continue;
        try {
          const { key, etag } = JSON.parse(line) as { key: string; etag: string };
          done.set(key, etag);
        } catch {
          // chunks are written whole: an unreadable line comes from outside editing
        }
      }
    }
  }
  return done;
}
