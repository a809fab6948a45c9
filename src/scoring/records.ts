import { type InputTensor, isStringTensor, type TensorSpec } from '../engine/types.js';
import { InputError } from '../util/errors.js';
import { giveBackFloats, takeFloats, wholeBuffer } from '../util/float-buffers.js';
import { parseValues, type ValuesArray } from './values-parser.js';

/** The records of one input file, shaped for the model: one tensor per model input, batch axis first. */
export interface InputRecords {
  /** Number of records (rows of the batch axis). */
  count: number;
  /** Whether the file wrote the batch axis itself (`[1,28,28,1]`) or gave one bare record (`[28,28,1]`). */
  hadBatchAxis: boolean;
  /** Numbers, or strings for a string input. */
  tensors: InputTensor[];
  /** The numbers' buffers are this record's alone (from {@link takeFloats}): reused once the record is scored. */
  recyclable?: boolean;
}

/** Hands a scored record's buffers back for reuse, when they are its own (and its arrays fill them whole). */
export function recycleRecords(records: InputRecords): void {
  if (!records.recyclable) return;
  for (const t of records.tensors) {
    const buffer = isStringTensor(t) ? null : wholeBuffer(t.data);
    if (buffer) giveBackFloats(buffer);
  }
}

const fmt = (shape: (number | null)[]) => `[${shape.map((d) => (d === null ? 'any' : d)).join(', ')}]`;

/**
 * Fits parsed arrays to the model's inputs. A file's `values` may carry the batch axis (rank equal to the
 * model input's) or be one record without it (rank one less). Every fixed axis must match; errors name the axis.
 * A string input whose records hold one string each (`Input(shape=(1,), dtype="string")`) also takes one bare
 * string (one record) or a flat list of strings (one record each).
 */
export function shapeRecords(arrays: ValuesArray[], specs: TensorSpec[]): InputRecords {
  let count = -1;
  let hadBatchAxis = true;
  const tensors = arrays.map((array, i): InputTensor => {
    const spec = specs[i];
    const label = specs.length === 1 ? '"values"' : `"values"[${i}] (input ${spec.name})`;
    const expected = spec.shape;
    const strings = 'strings' in array;
    if (strings !== (spec.dtype === 'string')) {
      throw new InputError(
        strings ? 'INPUT_NOT_NUMERIC' : 'INPUT_NOT_STRING',
        strings
          ? `${label} holds strings, but the model input ${spec.name} takes numbers`
          : `${label} holds numbers, but the model input ${spec.name} takes strings`,
      );
    }
    let dims = array.dims;
    const record = expected.slice(1);
    if (strings && record.every((d) => d === 1) && dims.slice(1).every((d) => d === 1)) {
      if (dims.length === 0) {
        dims = [1, ...record.map(() => 1)];
        hadBatchAxis = false;
      } else if (dims.length === expected.length - 1) dims = [dims[0], ...record.map(() => 1)];
    }
    if (dims.length === expected.length - 1) {
      dims = [1, ...dims];
      hadBatchAxis = false;
    } else if (dims.length !== expected.length) {
      throw new InputError(
        'INPUT_WRONG_SHAPE',
        `${label} has shape ${fmt(array.dims)}, but the model expects ${fmt(expected)} (a batch of records) or ${fmt(expected.slice(1))} (one record)`,
      );
    }
    for (let axis = 1; axis < expected.length; axis += 1) {
      const want = expected[axis];
      if (want !== null && dims[axis] !== want) {
        throw new InputError(
          'INPUT_WRONG_SHAPE',
          `${label} has ${dims[axis]} items on axis ${axis} of ${fmt(dims)}, but the model expects ${want} (input shape ${fmt(expected)})`,
        );
      }
    }
    if (dims[0] === 0) throw new InputError('INPUT_WRONG_SHAPE', `${label} holds no records`);
    if (count !== -1 && dims[0] !== count) {
      throw new InputError(
        'INPUT_WRONG_SHAPE',
        `the model inputs have different record counts (${count} and ${dims[0]})`,
      );
    }
    count = dims[0];
    return 'strings' in array ? { strings: array.strings, dims } : { data: array.data, dims };
  });
  return { count, hadBatchAxis, tensors };
}

/** Parses and shapes one seed input file (`{"values": ...}`) for a model. */
export function readInputFile(bytes: Uint8Array, specs: TensorSpec[]): InputRecords {
  const stringInputs = specs.map((s) => s.dtype === 'string');
  return shapeRecords(parseValues(bytes, specs.length, stringInputs), specs);
}

/** The records of several files as one batch: each input's rows concatenated, in file order. */
export function concatRecords(files: InputRecords[]): InputTensor[] {
  if (files.length === 1) return files[0].tensors;
  const total = files.reduce((n, f) => n + f.count, 0);
  return files[0].tensors.map((first, input): InputTensor => {
    const dims = [total, ...first.dims.slice(1)];
    if (isStringTensor(first)) {
      const strings: string[] = [];
      for (const file of files) {
        const t = file.tensors[input];
        if (isStringTensor(t)) for (const s of t.strings) strings.push(s);
      }
      return { strings, dims };
    }
    const data = takeFloats(total * (first.data.length / first.dims[0]));
    let offset = 0;
    for (const file of files) {
      const t = file.tensors[input];
      if (isStringTensor(t)) throw new Error('records of one input mix strings and numbers');
      data.set(t.data, offset);
      offset += t.data.length;
    }
    return { data, dims };
  });
}
