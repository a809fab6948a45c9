import type { Tensor, TensorSpec } from '../engine/types.js';
import type { ImageOptions } from '../scoring/formats/image.js';
import { type LinePage, parseLineBlock } from '../scoring/formats/jsonl-page.js';
import type { LineBlock } from '../scoring/formats/lines.js';
import { type InputRecords, readInputFile } from '../scoring/index.js';
import { type BucketDriver, type ObjectEntry, putObjectStream } from '../storage/index.js';
import { KerasBatchError } from '../util/errors.js';
import { LimitError } from '../util/limits.js';
import type { Semaphore } from './semaphore.js';

/** An input read and parsed, with the version it was read at and the time each step took. */
export interface InputRead {
  ok: true;
  records: InputRecords;
  version: string;
  readMs: number;
  parseMs: number;
}

/** An input that could not be read (`read`) or is not a valid input for the model (`parse`). */
export interface InputUnread {
  ok: false;
  stage: 'read' | 'parse';
  error: unknown;
}

/**
 * An image read: already decoded and made the model's record where that is cheap (a small plain PNG on a file
 * thread), else its bytes, for the job's thread to decode.
 */
export interface ImageRead {
  ok: true;
  version: string;
  tensor?: Tensor;
  bytes?: Uint8Array;
}

/**
 * The per-file I/O of a job around the engine: read + parse an input, write an output. Run on the job's own
 * thread ({@link inThreadStages}) or spread over worker threads (`file-threads/`), with the same results.
 */
export interface FileStages {
  read(entry: ObjectEntry): Promise<InputRead | InputUnread>;
  /** Reads an image (and may decode it for the model: see {@link ImageRead}). Never throws. */
  readImage(
    entry: Pick<ObjectEntry, 'key' | 'etag'>,
    options: ImageOptions,
  ): Promise<ImageRead | InputUnread>;
  /** Writes one output whole; resolves with the milliseconds it took. */
  write(key: string, text: string): Promise<number>;
  /**
   * Writes one output from its pieces as they are made, never holding it whole (always on the job's thread);
   * like {@link write}, the output is whole or absent. Resolves with the milliseconds it took.
   */
  writeStream(key: string, pieces: AsyncIterable<string>): Promise<number>;
  /** Reads a block of JSON Lines for the model (a bad line fails alone, in the page). */
  parseLines(block: LineBlock, idField: string | undefined): Promise<LinePage>;
  close(): Promise<void>;
}

/** What reading an input needs: where from, the model's inputs, the size limit. */
export interface ReadSpec {
  specs: TensorSpec[];
  maxFileBytes: number;
  /** Records one file may hold (the `records-per-file` limit); none when absent. */
  maxRecords?: number;
}

/** Gets one input, checks its size and parses it for the model. Never throws: failures say their stage. */
export async function readInput(
  source: Pick<BucketDriver, 'get'>,
  entry: Pick<ObjectEntry, 'key' | 'etag'>,
  spec: ReadSpec,
  guard: <T>(task: () => Promise<T>) => Promise<T> = (task) => task(),
): Promise<InputRead | InputUnread> {
  let stage: 'read' | 'parse' = 'read';
  try {
    let readMs = 0;
    const object = await guard(async () => {
      const t = performance.now();
      const got = await source.get(entry.key);
      readMs = performance.now() - t;
      return got;
    });
    if (object.body.length === 0) throw new KerasBatchError('scoring', 'INPUT_EMPTY', 'the file is empty');
    if (object.body.length > spec.maxFileBytes) {
      throw new KerasBatchError(
        'scoring',
        'INPUT_TOO_LARGE',
        `over the size limit: ${object.body.length} bytes, the limit is ${spec.maxFileBytes}`,
      );
    }
    stage = 'parse';
    const mark = performance.now();
    const records = readInputFile(object.body, spec.specs);
    if (spec.maxRecords !== undefined && records.count > spec.maxRecords) {
      throw new LimitError('scoring', 'recordsPerFile', "the file's records", records.count, spec.maxRecords);
    }
    return {
      ok: true,
      records,
      version: object.etag || entry.etag,
      readMs,
      parseMs: performance.now() - mark,
    };
  } catch (error) {
    return { ok: false, stage, error };
  }
}

/** Gets an image's bytes (decoded by the caller). Never throws: a failure is a `read` one. */
export async function readImageBytes(
  source: Pick<BucketDriver, 'get'>,
  entry: Pick<ObjectEntry, 'key' | 'etag'>,
  guard: <T>(task: () => Promise<T>) => Promise<T> = (task) => task(),
): Promise<ImageRead | InputUnread> {
  try {
    const object = await guard(() => source.get(entry.key));
    return { ok: true, version: object.etag || entry.etag, bytes: object.body };
  } catch (error) {
    return { ok: false, stage: 'read', error };
  }
}

/** Writes one output whole and times it. */
export async function writeOutput(
  target: Pick<BucketDriver, 'put'>,
  key: string,
  text: string,
): Promise<number> {
  const t = performance.now();
  await target.put(key, text, { contentType: 'application/json' });
  return performance.now() - t;
}

/** Writes one output from its pieces (the target's streamed put: whole or absent) and times it. */
export async function writeOutputStream(
  target: Pick<BucketDriver, 'put' | 'putStream'>,
  key: string,
  pieces: AsyncIterable<string>,
): Promise<number> {
  const t = performance.now();
  await putObjectStream(target, key, pieces, { contentType: 'application/json' });
  return performance.now() - t;
}

/** The stages on the job's own thread, storage requests bounded by `io`. */
export function inThreadStages(
  source: BucketDriver,
  target: BucketDriver,
  spec: ReadSpec,
  io: Semaphore,
): FileStages {
  return {
    read: (entry) => readInput(source, entry, spec, (task) => io.run(task)),
    readImage: (entry) => readImageBytes(source, entry, (task) => io.run(task)),
    write: (key, text) => io.run(() => writeOutput(target, key, text)),
    writeStream: (key, pieces) => io.run(() => writeOutputStream(target, key, pieces)),
    parseLines: async (block, idField) => parseLineBlock(block.bytes, block.before, spec.specs, idField),
    close: async () => undefined,
  };
}
