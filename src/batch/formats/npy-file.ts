import { zipSync } from 'fflate';
import type { Tensor, TensorSpec } from '../../engine/types.js';
import { encodeNpy, type NpyArray, parseNpy } from '../../scoring/formats/npy.js';
import { openNpyStream } from '../../scoring/formats/npy-stream.js';
import { readZipEntries } from '../../scoring/formats/zip-entries.js';
import { formatPrediction } from '../../scoring/index.js';
import { openObjectStream } from '../../storage/index.js';
import { errorMessage, InputError } from '../../util/errors.js';
import { currentLimits } from '../../util/limits.js';
import type { Stage } from '../types.js';
import { jsonOutputKey } from './image-file.js';
import type { StreamContext, StreamResult } from './stream-file.js';

/** How NumPy inputs are read and their outputs written. */
export interface NpyJob {
  /** `.npz`: the arrays the model reads, in input order. */
  npzArrays?: string[];
  /** `json`: the seed's JSON (`<key>.json`) rather than `.npy` files. */
  json: boolean;
}

const stem = (key: string) => key.replace(/\.(npy|npz)$/i, '');

/** The output key of a NumPy input: `<name>.npy` (one model output) or `<name>.npz` (several), or JSON. */
export function npyOutputKey(key: string, outputs: number, json: boolean): string {
  if (json) return jsonOutputKey(key);
  return `${stem(key)}.${outputs > 1 ? 'npz' : 'npy'}`;
}

const fmt = (dims: (number | null)[]) => `(${dims.map((d) => (d === null ? 'None' : d)).join(', ')})`;

/**
 * The records of an array of `shape` for the model input `spec`: `(N, ...record)` with the batch axis, or one
 * record without it. Axes of one may differ (`(N, 28, 28)` for a `(None, 28, 28, 1)` input) when the rest match
 * in order. Returns the record count and a record's dims as the model takes them.
 */
function recordsOf(shape: number[], descr: string, spec: TensorSpec, name: string) {
  const record = spec.shape.slice(1);
  const squeeze = (dims: (number | null)[]) => dims.filter((d) => d !== 1).join(',');
  const fits = (got: number[]) =>
    record.some((d) => d === null)
      ? got.length === record.length && record.every((d, i) => d === null || d === got[i])
      : squeeze(got) === squeeze(record);
  const batch = shape.length > 0 && shape[0] > 0 && fits(shape.slice(1));
  if (!batch && !fits(shape)) {
    throw new InputError(
      'INPUT_WRONG_SHAPE',
      `${name} has shape ${fmt(shape)} (${descr}), but the model input ${spec.name} takes ${fmt(spec.shape)}: ${shape[0] === 0 ? 'no records' : 'a batch of records or one record of that shape'}`,
    );
  }
  const got = batch ? shape.slice(1) : shape;
  return { count: batch ? shape[0] : 1, dims: record.map((d, i) => d ?? got[i]) };
}

function asRecords(array: NpyArray, spec: TensorSpec, name: string): Tensor {
  const { count, dims } = recordsOf(array.shape, array.descr, spec, name);
  return { data: array.data, dims: [count, ...dims] };
}

/** Engine calls of one file submitted ahead of the one awaited: the engine never waits on reading. */
const AHEAD = 3;

/** The records of a file, `batchSize` at a time: its count first, then its batches. */
interface RecordSource {
  version: string;
  count: number;
  batches: AsyncIterable<Tensor[]>;
}

/** An `.npz`'s arrays, read whole, cut into batches. */
async function npzSource(
  ctx: StreamContext,
  job: NpyJob,
  key: string,
  at: { stage: Stage },
): Promise<RecordSource> {
  const read = await readNpz(ctx, key, job, at);
  const tensors = read.arrays.map((a, i) => asRecords(a.array, ctx.specs[i], a.name));
  const total = tensors[0].dims[0];
  if (tensors.some((t) => t.dims[0] !== total)) {
    throw new InputError(
      'INPUT_WRONG_SHAPE',
      `${key}: the arrays hold different record counts (${tensors.map((t) => t.dims[0]).join(', ')})`,
    );
  }
  const count = Math.min(total, ctx.recordLimit ?? total);
  async function* batches() {
    for (let first = 0; first < count; first += ctx.batchSize) {
      const n = Math.min(ctx.batchSize, count - first);
      yield tensors.map((t) => {
        const size = t.data.length / t.dims[0];
        return { data: t.data.subarray(first * size, (first + n) * size), dims: [n, ...t.dims.slice(1)] };
      });
    }
  }
  return { version: read.version, count, batches: batches() };
}

/** A `.npy` read as a stream: its header, then `batchSize` records at a time (never the whole array). */
async function npySource(ctx: StreamContext, key: string, at: { stage: Stage }): Promise<RecordSource> {
  if (ctx.specs.length !== 1) {
    throw new InputError('INPUT_NPZ_ARRAY', `the model has ${ctx.specs.length} inputs: give them as an .npz`);
  }
  const object = await openObjectStream(ctx.source, key);
  at.stage = 'parse';
  const stream = await openNpyStream(object.body, key);
  let shape: ReturnType<typeof recordsOf>;
  try {
    shape = recordsOf(stream.header.shape, stream.header.descr, ctx.specs[0], key);
  } catch (error) {
    await stream.close();
    throw error;
  }
  const count = Math.min(shape.count, ctx.recordLimit ?? shape.count);
  const per = shape.dims.reduce((a, b) => a * b, 1);
  async function* batches() {
    for await (const data of stream.parts(per * ctx.batchSize, per * count)) {
      yield [{ data, dims: [data.length / per, ...shape.dims] }];
    }
  }
  return { version: object.etag, count, batches: batches() };
}

/** The arrays of an `.npz` (a zip of `<name>.npy` entries) that the model reads, parsed. */
async function readNpz(ctx: StreamContext, key: string, job: NpyJob, at: { stage: Stage }) {
  const object = await openObjectStream(ctx.source, key);
  const limits = {
    maxEntryBytes: ctx.maxFileBytes,
    maxEntries: currentLimits().zipMembers,
    maxTotalBytes: ctx.maxFileBytes,
  };
  const entries = new Map<string, { bytes?: Uint8Array; message?: string }>();
  try {
    for await (const page of readZipEntries(object.body, limits, '.npy')) {
      for (const e of page)
        entries.set(e.name.replace(/\.npy$/i, ''), { bytes: e.bytes, message: e.error?.message });
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(error.code, `${key}: ${errorMessage(error).replace(/^\[[a-z]+\] /, '')}`);
  }
  at.stage = 'parse';
  const names = [...entries.keys()];
  const specs = ctx.specs;
  let wanted = job.npzArrays;
  if (!wanted) {
    if (specs.every((s) => entries.has(s.name))) wanted = specs.map((s) => s.name);
    else if (specs.length === 1 && names.length === 1) wanted = names;
    else {
      throw new InputError(
        'INPUT_NPZ_ARRAY',
        `${key} holds the arrays ${names.join(', ') || '(none)'}; name the ones the model reads (inputs ${specs.map((s) => s.name).join(', ')}) with --npz-array`,
      );
    }
  }
  if (wanted.length !== specs.length) {
    throw new InputError(
      'INPUT_NPZ_ARRAY',
      `${wanted.length} array(s) named (${wanted.join(', ')}) for a model of ${specs.length} input(s)`,
    );
  }
  const arrays = wanted.map((name) => {
    const entry = entries.get(name);
    if (!entry)
      throw new InputError('INPUT_NPZ_ARRAY', `${key} has no array "${name}" (it holds ${names.join(', ')})`);
    if (!entry.bytes)
      throw new InputError('INPUT_NPZ_ARRAY', `${key}: ${entry.message ?? `array "${name}" unreadable`}`);
    return { array: parseNpy(entry.bytes, `${key}: array "${name}"`), name: `${key}: array "${name}"` };
  });
  return { version: object.etag, arrays };
}

/** Keras 2 `predict_classes` of every row, as int32 (`-1` where a value is NaN or ±Infinity). */
function classesOf(out: Tensor): { data: Int32Array; dims: number[] } {
  const last = out.dims.length > 1 ? out.dims[out.dims.length - 1] : 1;
  if (last === 1) {
    const data = Int32Array.from(out.data, (v) => (Number.isFinite(v) ? (v > 0.5 ? 1 : 0) : -1));
    return { data, dims: out.dims };
  }
  const rows = out.data.length / last;
  const data = new Int32Array(rows);
  for (let r = 0; r < rows; r += 1) {
    let best = 0;
    for (let j = 0; j < last; j += 1) {
      const v = out.data[r * last + j];
      if (!Number.isFinite(v)) {
        best = -1;
        break;
      }
      if (v > out.data[r * last + best]) best = j;
    }
    data[r] = best;
  }
  return { data, dims: out.dims.slice(0, -1) };
}

/**
 * Scores one `.npy` (or `.npz`) file of records: a `.npy` read as a stream, an `.npz` whole (`--max-file-size`), its rows handed to the job's
 * batcher `batchSize` at a time, the predictions written as `<name>.npy` (float32) after `<name>.classes.npy`
 * (int32), as `<name>.npz` for a model of several outputs, or as the seed's JSON. A bad dtype, shape or array
 * fails the file.
 */
export async function scoreNpyFile(
  ctx: StreamContext,
  job: NpyJob,
  key: string,
  at: { stage: Stage },
): Promise<StreamResult> {
  at.stage = 'read';
  const source = /\.npz$/i.test(key) ? await npzSource(ctx, job, key, at) : await npySource(ctx, key, at);
  const { version, count } = source;
  at.stage = 'score';
  const calls: Promise<Tensor[]>[] = [];
  const parts: Tensor[][] = [];
  for await (const batch of source.batches) {
    const call = ctx.submit({ count: batch[0].dims[0], hadBatchAxis: true, tensors: batch });
    call.catch(() => undefined); // awaited in order; a file failing later must not leave it unhandled
    calls.push(call);
    while (calls.length > AHEAD) parts.push(await ctx.waitScored(calls.shift() as Promise<Tensor[]>));
  }
  for (const call of calls) parts.push(await ctx.waitScored(call));
  at.stage = 'format';
  const outputs = parts[0].map((first, o): Tensor => {
    const size = first.data.length / first.dims[0];
    const data = new Float32Array(count * size);
    let offset = 0;
    for (const part of parts) {
      data.set(part[o].data, offset);
      offset += part[o].data.length;
    }
    return { data, dims: [count, ...first.dims.slice(1)] };
  });
  const nonFinite = ctx.checkOutputs(outputs, count);
  const outputKey = npyOutputKey(key, outputs.length, job.json);
  at.stage = 'write';
  if (job.json) {
    const text = formatPrediction(key, outputs, 0, count, currentLimits().outputBytesPerFile);
    await ctx.target.put(outputKey, text, { contentType: 'application/json' });
  } else if (outputs.length === 1) {
    const classes = classesOf(outputs[0]);
    await ctx.target.put(`${stem(key)}.classes.npy`, encodeNpy(classes.data, classes.dims));
    await ctx.target.put(outputKey, encodeNpy(outputs[0].data, outputs[0].dims));
  } else {
    const files: Record<string, [Uint8Array, { level: 0 }]> = {};
    outputs.forEach((out, o) => {
      const classes = classesOf(out);
      files[`prediction_${o}.npy`] = [encodeNpy(out.data, out.dims), { level: 0 }];
      files[`classes_${o}.npy`] = [encodeNpy(classes.data, classes.dims), { level: 0 }];
    });
    await ctx.target.put(outputKey, zipSync(files), { contentType: 'application/zip' });
  }
  return { version, outputKey, records: count, failed: [], nonFinite };
}
