/**
 * The outputs of byte-range parts of one large JSON Lines or CSV file (docs/scaling.md, "Large files"; the parts
 * are cut in part-plan.ts): each part's output goes to an object of its own; the part that completes the set
 * (once, by a Redis claim) joins them in order into the file's one output, byte for byte a local run's.
 */
import type { Redis } from 'ioredis';
import { type BucketDriver, openObjectStream, putObjectStream } from '../storage/index.js';
import type { ShardData, ShardPart, ShardResult } from './types.js';

/** Where a part's output is kept until the file's output is joined. */
export const partKey = (data: ShardData, part: ShardPart): string =>
  `_keras-batch/parts/${data.jobId}/${part.file}/${part.index}`;

/** A target that writes `outputKey` to `to` instead (a part's own object); the rest goes through. */
export function partTarget(target: BucketDriver, outputKey: string, to: string): BucketDriver {
  const map = (k: string) => (k === outputKey ? to : k);
  return {
    ...target,
    put: (k, body, options) => target.put(map(k), body, options),
    putStream: (k, body, options) => putObjectStream(target, map(k), body, options),
    head: (k) => target.head(map(k)),
    close: async () => undefined,
  };
}

/**
 * After a part's output is written: records it in Redis and, when every part is written, joins them in order
 * into `outputKey` — by one part only (a claim that a retry of the same part takes again after a crash; the part
 * objects are deleted once the join is marked done). Returns whether this part joined the file.
 */
export async function finishPart(
  redis: Redis,
  target: BucketDriver,
  data: ShardData,
  part: ShardPart,
  outputKey: string,
): Promise<boolean> {
  const base = `keras-batch:parts:${data.jobId}:${part.file}`;
  const ttl = 7 * 24 * 3600;
  const mine = partKey(data, part);
  await redis.multi().sadd(base, String(part.index)).expire(base, ttl).exec();
  const owner = `${base}:owner`;
  const joinedMark = `${base}:joined`;
  if ((await redis.scard(base)) < part.count) return false;
  const claimed = (await redis.set(owner, String(part.index), 'EX', ttl, 'NX')) === 'OK';
  if (!claimed && (await redis.get(owner)) !== String(part.index)) {
    // Joined already (this part ran again after a crash): its object written again is not needed.
    if (await redis.exists(joinedMark)) await target.delete(mine).catch(() => undefined);
    return false;
  }
  const keys = Array.from({ length: part.count }, (_, index) => partKey(data, { ...part, index }));
  if (!(await redis.exists(joinedMark))) {
    async function* joined(): AsyncGenerator<Uint8Array> {
      for (const k of keys) for await (const chunk of (await openObjectStream(target, k)).body) yield chunk;
    }
    // As the CSV format writes it (`text/csv` for TSV too), else JSON Lines.
    const contentType = /\.(csv|tsv)$/i.test(outputKey) ? 'text/csv' : 'application/x-ndjson';
    await putObjectStream(target, outputKey, joined(), { contentType });
    await redis.set(joinedMark, '1', 'EX', ttl);
  }
  await Promise.all(keys.map((k) => target.delete(k).catch(() => undefined)));
  return true;
}

/**
 * A part's result as the job counts it: a split file that failed whole (a part could not read it, or a part's
 * shard failed) counts as one failed input however many of its parts failed; its failed lines all count.
 */
export function onceForFile(result: ShardResult, failedFiles: Set<string>): ShardResult {
  if (!result.partOf || result.failed === 0) return result;
  if (!failedFiles.has(result.partOf)) {
    failedFiles.add(result.partOf);
    return result;
  }
  const records = result.failures.filter((f) => f.line !== undefined || f.entry !== undefined);
  return { ...result, failed: 0, failures: records };
}

/**
 * The file counts of a part's shard: the part that joined the file counts it scored (also when a retry finds it
 * joined by its own earlier attempt); the others count no file, only their lines. `skipped` (resume) once.
 */
export async function partCounts(
  redis: Redis,
  target: BucketDriver,
  data: ShardData,
  part: ShardPart,
  outputKey: string,
  scored: number,
  inputs: { recovered: number; skipped: number },
): Promise<Pick<ShardResult, 'scored' | 'skipped' | 'recovered' | 'partOf'>> {
  let joined = false;
  if (scored > 0) joined = await finishPart(redis, target, data, part, outputKey);
  else if (inputs.recovered > 0)
    joined = (await redis.get(`keras-batch:parts:${data.jobId}:${part.file}:owner`)) === String(part.index);
  return {
    scored: joined ? 1 : 0,
    skipped: part.index === 0 ? inputs.skipped : 0,
    recovered: 0,
    partOf: data.entries[0][0],
  };
}
