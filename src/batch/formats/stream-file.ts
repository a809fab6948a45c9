import type { Tensor, TensorSpec } from '../../engine/types.js';
import { concatRecords, type InputRecords } from '../../scoring/index.js';
import { type BucketDriver, openObjectStream, putObjectStream } from '../../storage/index.js';
import type { FileStages } from '../file-stages.js';
import type { Stage } from '../types.js';
import { stagedPages } from './staged-pages.js';
import type { StreamFormat, StreamItem } from './types.js';

/** What scoring a record file needs from the job. */
export interface StreamContext {
  source: Pick<BucketDriver, 'get' | 'getStream'>;
  target: Pick<BucketDriver, 'put' | 'putStream'>;
  /** The model's inputs. */
  specs: TensorSpec[];
  /** Largest input read whole (a zip entry), uncompressed. */
  maxFileBytes: number;
  /** Records (lines, rows, entries) read at most per file; the rest is not read (a dry run). */
  recordLimit?: number;
  /** Records per engine call. */
  batchSize: number;
  /** Hands records to the job's batcher (shared with every other file); resolves with their outputs. */
  submit(records: InputRecords): Promise<Tensor[]>;
  /** Waits for a submitted call; the job counts this file as waiting on the engine meanwhile. */
  waitScored(pending: Promise<Tensor[]>): Promise<Tensor[]>;
  /**
   * Reads an image (on the job's file threads when it has them; a small PNG comes back decoded as the model's
   * record): absent, the image is read from `source` here.
   */
  readImage?: FileStages['readImage'];
  /** Writes an output read whole (a JSON document): on the file threads when the job has them; absent, `target`. */
  writeWhole?(key: string, text: string): Promise<unknown>;
  /** Looks at a call's outputs (the job's warnings); returns how many of its records have NaN or ±Infinity. */
  checkOutputs(outputs: Tensor[], count: number): number;
}

/** A record that failed in a file that was otherwise scored. */
export interface RecordFailure {
  /** Where the record starts in the file (1-based line; 0 for a zip entry). */
  line: number;
  /** The entry of a zip that failed. */
  entry?: string;
  code: string;
  reason: string;
}

/** What scoring one record file came to. */
export interface StreamResult {
  /** The input's version as read. */
  version: string;
  outputKey: string;
  records: number;
  failed: RecordFailure[];
  nonFinite: number;
}

/** Submitted engine calls of one file ahead of the one being written: the engine never waits on parsing. */
const AHEAD = 3;

interface Group {
  items: StreamItem[];
  ok: InputRecords[];
  shape: string;
  pending: Promise<Tensor[]> | null;
}

const shapeOf = (r: InputRecords) => r.tensors.map((t) => t.dims.join('x')).join('|');

/**
 * Scores one record file (JSON Lines, CSV) as streams: reads it a chunk at a time, gathers its records into
 * engine calls of `batchSize` (through the job's batcher, so small files share calls), and writes the output
 * while reading, in input order. A record that cannot be read or shaped fails alone (an error line in the
 * output, a record failure in the result). `at.stage` follows where the file is, for a failure of the whole file.
 */
export async function scoreStreamFile(
  ctx: StreamContext,
  format: StreamFormat,
  key: string,
  at: { stage: Stage },
): Promise<StreamResult> {
  at.stage = 'read';
  const object = await openObjectStream(ctx.source, key);
  const result: StreamResult = {
    version: object.etag,
    outputKey: format.outputKey(key),
    records: 0,
    failed: [],
    nonFinite: 0,
  };
  const file = format.open(key);
  const fresh = (): Group => ({ items: [], ok: [], shape: '', pending: null });
  const queue: Group[] = [];
  let current = fresh();
  const close = () => {
    if (current.items.length === 0) return;
    if (current.ok.length > 0) {
      const records: InputRecords = {
        count: current.ok.length,
        hadBatchAxis: true,
        tensors: concatRecords(current.ok),
      };
      current.pending = ctx.submit(records);
      current.pending.catch(() => undefined); // awaited in order below; a file failing earlier must not leave it unhandled
    }
    queue.push(current);
    current = fresh();
  };
  const emit = async (group: Group): Promise<string> => {
    let outputs: Tensor[] = [];
    if (group.pending) {
      at.stage = 'score';
      outputs = await ctx.waitScored(group.pending);
      at.stage = 'format';
      result.nonFinite += ctx.checkOutputs(outputs, group.ok.length);
    }
    let text = file.prelude?.() ?? '';
    let row = 0;
    for (const item of group.items) {
      if (item.records) {
        text += file.scored(item, outputs, row);
        row += 1;
      } else {
        const { code, message } = item.error ?? { code: 'INPUT_INVALID', message: 'unreadable' };
        text += file.failed(item, code, message);
        result.failed.push({ line: item.line, code, reason: `${format.unit} ${item.n}: ${message}` });
      }
    }
    result.records += row;
    at.stage = 'write';
    return text;
  };
  async function* output(): AsyncGenerator<string> {
    for await (const page of stagedPages(file.items(object.body), at, ctx.recordLimit)) {
      for (const item of page) {
        if (item.records) {
          const shape = shapeOf(item.records);
          if (current.ok.length > 0 && shape !== current.shape) close();
          current.shape = shape;
          current.ok.push(item.records);
        }
        current.items.push(item);
        // Full, or (bad records only) long enough: a file of bad lines never gathers them all.
        if (current.ok.length >= ctx.batchSize || current.items.length >= 4 * ctx.batchSize) close();
      }
      while (queue.length > AHEAD) yield await emit(queue.shift() as Group);
    }
    close();
    while (queue.length > 0) yield await emit(queue.shift() as Group);
    at.stage = 'write';
    const rest = file.prelude?.() ?? '';
    if (rest) yield rest;
  }
  await putObjectStream(ctx.target, result.outputKey, output(), { contentType: format.contentType });
  return result;
}
