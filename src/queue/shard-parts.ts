/**
 * Byte-range parts of one large JSON Lines or CSV file (docs/scaling.md, "Large files"): the coordinator cuts a
 * file larger than `splitBytes` into parts, each a shard any worker may score; a part scores the lines that start
 * in its byte range, numbered as in the whole file (a CSV part as csv-part.ts reads it), into an object of its own; the part that completes the set
 * (once, by a Redis claim) joins them in order into the file's one output, byte for byte a local run's.
 */
import type { Redis } from 'ioredis';
import { type CsvPartRange, formatOfKey, type InputFormat } from '../batch/index.js';
import { type BucketDriver, type ObjectStream, openObjectStream, putObjectStream } from '../storage/index.js';
import type { ShardData, ShardEntry, ShardPart, ShardResult } from './types.js';

/** The parts of a record file larger than `splitBytes`, or null: only uncompressed JSON Lines and CSV are split. */
export function planParts(
  entry: ShardEntry,
  splitBytes: number,
  inputFormat: InputFormat | undefined,
  file: number,
): ShardPart[] | null {
  const [key, , size] = entry;
  const format = formatOfKey(key, inputFormat);
  if (size <= splitBytes || /\.gz$/i.test(key) || (format !== 'jsonl' && format !== 'csv')) return null;
  const count = Math.ceil(size / splitBytes);
  return Array.from({ length: count }, (_, index) => ({
    file,
    index,
    count,
    start: index * splitBytes,
    end: Math.min(size, (index + 1) * splitBytes),
  }));
}

/** A part as the CSV reader takes it (csv-part.ts): the lines that start in its range. */
export const partRange = (part: ShardPart): CsvPartRange => ({
  start: part.start,
  end: part.end,
  last: part.index === part.count - 1,
});

const NEWLINES = Buffer.alloc(1 << 16, 0x0a);

/**
 * The bytes of the lines that start in `[start, end)` of a stream read from its first byte, after as many
 * newlines as there are lines before them: blank lines are skipped but counted, so the part's lines keep their
 * numbers in the whole file. Stops reading at the end of the part's last line.
 */
export async function* partBody(
  body: AsyncIterable<Uint8Array>,
  part: ShardPart,
): AsyncGenerator<Uint8Array> {
  const last = part.index === part.count - 1;
  let pos = 0; // the file offset of the next chunk
  let found = part.start === 0; // whether the part's first line start is known
  let lines = 0; // newlines before the part's first line
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      const at = pos;
      pos += chunk.length;
      let from = 0; // where the part's bytes begin in this chunk
      if (!found) {
        // The part's first line starts after the first newline at or after start - 1.
        const look = Math.max(0, part.start - 1 - at);
        const nl = look < chunk.length ? chunk.indexOf(0x0a, look) : -1;
        if (nl < 0) {
          lines += count(chunk, chunk.length);
          continue;
        }
        lines += count(chunk, nl + 1);
        found = true;
        // A first line at or after `end` is the next part's: this part has none.
        if (at + nl + 1 >= part.end) return;
        from = nl + 1;
        for (let left = lines; left > 0; left -= NEWLINES.length)
          yield NEWLINES.subarray(0, Math.min(left, NEWLINES.length));
      }
      if (!last) {
        // The part ends with the line holding byte end - 1: the next part starts after its newline.
        const look = Math.max(from, part.end - 1 - at);
        const nl = look < chunk.length ? chunk.indexOf(0x0a, look) : -1;
        if (nl >= 0) {
          yield chunk.subarray(from, nl + 1);
          return;
        }
      }
      if (from < chunk.length) yield chunk.subarray(from);
    }
  } finally {
    await it.return?.();
  }
}

/** Newlines in the first `to` bytes of `chunk`. */
function count(chunk: Buffer, to: number): number {
  let n = 0;
  for (let at = chunk.indexOf(0x0a); at >= 0 && at < to; at = chunk.indexOf(0x0a, at + 1)) n += 1;
  return n;
}

/** A source whose `key` reads as the part's lines (see {@link partBody}); every other key reads through. */
export function partSource(source: BucketDriver, key: string, part: ShardPart): BucketDriver {
  const open = async (k: string): Promise<ObjectStream> => {
    const object = await openObjectStream(source, k);
    return k === key ? { ...object, body: partBody(object.body, part) } : object;
  };
  return {
    ...source,
    getStream: open,
    get: async (k) => {
      const { body, ...info } = await open(k);
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) chunks.push(chunk);
      return { ...info, body: Buffer.concat(chunks) };
    },
    close: async () => undefined,
  };
}

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
