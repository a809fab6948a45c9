/**
 * Byte-range parts of one large JSON Lines or CSV file (docs/scaling.md, "Large files"): the coordinator reads
 * the file once and cuts it, near every `splitBytes`, at line starts (CSV: at rows, up to the file's first line
 * that is not plain; see csv-part.ts), noting the lines (and rows, and the header) before each cut; a worker then
 * reads only its part's bytes (a ranged read), numbered as in the whole file.
 */
import { formatOfKey, type InputFormat } from '../batch/index.js';
import { csvSplitPoints, lineSplitPoints } from '../scoring/index.js';
import { type BucketDriver, type ObjectStream, openObjectStream } from '../storage/index.js';
import { InputError } from '../util/errors.js';
import type { ShardEntry, ShardPart } from './types.js';

/**
 * The parts of a record file larger than `splitBytes`, or null when it is scored whole: not an uncompressed
 * JSON Lines or CSV file, no place to cut it, or it cannot be read here (its worker then says why) or changed
 * since it was listed.
 */
export async function planParts(
  source: Pick<BucketDriver, 'get' | 'getStream'>,
  entry: ShardEntry,
  splitBytes: number,
  inputFormat: InputFormat | undefined,
  file: number,
): Promise<ShardPart[] | null> {
  const [key, etag, size] = entry;
  const format = formatOfKey(key, inputFormat);
  if (size <= splitBytes || /\.gz$/i.test(key) || (format !== 'jsonl' && format !== 'csv')) return null;
  const wanted: number[] = [];
  for (let at = splitBytes; at < size; at += splitBytes) wanted.push(at);
  let cuts: { at: number; lines: number; rows?: number }[];
  let header: string | undefined;
  try {
    const object = await openObjectStream(source, key);
    if (object.etag !== etag || object.size !== size) {
      await drop(object);
      return null;
    }
    if (format === 'jsonl') cuts = await lineSplitPoints(object.body, wanted);
    else {
      const split = await csvSplitPoints(object.body, wanted, /\.tsv$/i.test(key) ? '\t' : ',');
      cuts = split.points;
      header = split.header?.toString('base64');
    }
  } catch {
    return null;
  }
  cuts = cuts.filter((c) => c.at < size);
  if (cuts.length === 0) return null;
  const count = cuts.length + 1;
  return Array.from({ length: count }, (_, index) => {
    const cut = cuts[index - 1];
    const part: ShardPart = {
      file,
      index,
      count,
      start: cut?.at ?? 0,
      end: cuts[index]?.at ?? size,
      lines: cut?.lines ?? 0,
    };
    if (format === 'csv' && cut) Object.assign(part, { rows: cut.rows, header });
    return part;
  });
}

/** Ends a stream that will not be read (its file handle or connection is let go). */
async function drop(object: ObjectStream): Promise<void> {
  const it = object.body[Symbol.asyncIterator]();
  await it.next().catch(() => undefined);
  await it.return?.(undefined);
}

/** A CSV part's bytes after the file's header line. */
async function* afterHeader(header: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield Buffer.from(header, 'base64');
  yield* body;
}

/**
 * A source whose `key` reads as the part: its bytes alone (a ranged read of the version the part was cut from),
 * after the file's header line for a CSV part. Every other key reads through. The reader is told the lines and
 * rows before it ({@link partStart}).
 */
export function partSource(source: BucketDriver, key: string, etag: string, part: ShardPart): BucketDriver {
  const open = async (k: string): Promise<ObjectStream> => {
    if (k !== key) return openObjectStream(source, k);
    const object = await openObjectStream(source, k, { start: part.start, end: part.end });
    if (object.etag !== etag) {
      await drop(object);
      throw new InputError(
        'INPUT_CHANGED',
        `the file changed while the job ran: its part ${part.index + 1} of ${part.count} was cut from another version`,
      );
    }
    const header = part.header;
    return header === undefined ? object : { ...object, body: afterHeader(header, object.body) };
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

/**
 * What the reader of a part after the first is told (`FormatOptions.part`): the rows before it, and the lines
 * before its body's first (a CSV part's body starts with the header line, which is not one of the file's there).
 */
export function partStart(part: ShardPart): { rows: number; lines: number } | undefined {
  if (part.index === 0) return undefined;
  return part.header === undefined
    ? { rows: 0, lines: part.lines }
    : { rows: part.rows ?? 0, lines: part.lines - 1 };
}
