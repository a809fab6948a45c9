import { Zip, ZipDeflate } from 'fflate';
import type { Tensor, TensorSpec } from '../../engine/types.js';
import { readZipEntries, ZIP_DEFAULT_LIMITS, type ZipEntry } from '../../scoring/formats/zip-entries.js';
import { formatPrediction, type InputRecords, readInputFile } from '../../scoring/index.js';
import { openObjectStream, putObjectStream } from '../../storage/index.js';
import { errorMessage, KerasBatchError } from '../../util/errors.js';
import type { Stage } from '../types.js';
import { stagedPages } from './staged-pages.js';
import type { StreamContext, StreamResult } from './stream-file.js';

/** How a zip of seed files is scored. */
export interface ZipJob {
  specs: TensorSpec[];
  /** Largest entry, uncompressed. */
  maxEntryBytes: number;
  /** Write one zip of outputs (same key) instead of a folder of them (`<name without .zip>/<entry>`). */
  outputZip: boolean;
}

/** The folder a zip's outputs go to: its key without `.zip`. */
export const zipOutputFolder = (key: string) => key.replace(/\.zip$/i, '');

interface Scored {
  entry: ZipEntry;
  records?: InputRecords;
  pending?: Promise<Tensor[]>;
  error?: { code: string; message: string };
}

/**
 * Scores a zip of seed JSON files (WML v4's Keras batch input), read as a stream: each `.json` entry is one seed
 * input, its records batched with every other file's; outputs are seed files named by entry, in a folder or one
 * zip. An entry that fails (not JSON, a bad shape, an unsafe name, too large) fails alone; a zip bomb (too many
 * entries or bytes) fails the zip.
 */
export async function scoreZipFile(
  ctx: StreamContext,
  job: ZipJob,
  key: string,
  at: { stage: Stage },
): Promise<StreamResult> {
  at.stage = 'read';
  const object = await openObjectStream(ctx.source, key);
  const folder = zipOutputFolder(key);
  const result: StreamResult = {
    version: object.etag,
    outputKey: job.outputZip ? key : `${folder}/`,
    records: 0,
    failed: [],
    nonFinite: 0,
  };
  const zip = job.outputZip ? new Zip() : null;
  let zipped: Uint8Array[] = [];
  let zipError: Error | null = null;
  if (zip) {
    zip.ondata = (error, data) => {
      if (error) zipError = error;
      else zipped.push(data);
    };
  }
  const limits = { ...ZIP_DEFAULT_LIMITS, maxEntryBytes: job.maxEntryBytes };

  const parse = (entry: ZipEntry): Scored => {
    if (entry.error || !entry.bytes)
      return { entry, error: entry.error ?? { code: 'INPUT_INVALID', message: 'unreadable' } };
    try {
      if (entry.bytes.length === 0) throw new KerasBatchError('scoring', 'INPUT_EMPTY', 'the file is empty');
      const records = readInputFile(entry.bytes, job.specs);
      const pending = ctx.submit(records);
      pending.catch(() => undefined);
      return { entry, records, pending };
    } catch (error) {
      const code = error instanceof KerasBatchError ? error.code : 'INPUT_INVALID';
      return { entry, error: { code, message: errorMessage(error).replace(/^\[[a-z]+\] /, '') } };
    }
  };

  /** Scores a page of entries and writes (or zips) their outputs in order. */
  const finish = async (page: Scored[]) => {
    const writes: Promise<unknown>[] = [];
    for (const item of page) {
      const name = item.entry.name;
      if (!item.pending || !item.records) {
        const { code, message } = item.error ?? { code: 'INPUT_INVALID', message: 'unreadable' };
        result.failed.push({
          line: 0,
          entry: name,
          code,
          reason: `entry ${JSON.stringify(name)}: ${message}`,
        });
        continue;
      }
      at.stage = 'score';
      const outputs = await ctx.waitScored(item.pending);
      at.stage = 'format';
      const count = item.records.count;
      result.nonFinite += ctx.checkOutputs(outputs, count) > 0 ? 1 : 0;
      result.records += count;
      const text = formatPrediction(name, outputs, 0, count);
      at.stage = 'write';
      if (zip) {
        const file = new ZipDeflate(name, { level: 6 });
        zip.add(file);
        file.push(Buffer.from(text), true);
      } else writes.push(ctx.target.put(`${folder}/${name}`, text, { contentType: 'application/json' }));
    }
    await Promise.all(writes);
  };

  async function* run(): AsyncGenerator<Uint8Array> {
    let waiting: Scored[] = [];
    for await (const page of stagedPages(readZipEntries(object.body, limits), at, ctx.recordLimit)) {
      for (const entry of page) waiting.push(parse(entry));
      if (waiting.length >= ctx.batchSize) {
        await finish(waiting);
        waiting = [];
      }
      if (zipError) throw zipError;
      if (zipped.length > 0) yield* take();
    }
    await finish(waiting);
    at.stage = 'write';
    zip?.end();
    if (zipError) throw zipError;
    yield* take();
  }
  function take(): Uint8Array[] {
    const out = zipped;
    zipped = [];
    return out;
  }

  if (zip) await putObjectStream(ctx.target, key, run(), { contentType: 'application/zip' });
  else for await (const _ of run());
  return result;
}
