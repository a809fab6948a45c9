import type { Tensor, TensorSpec } from '../engine/types.js';
import { InputError } from '../util/errors.js';
import { parseValues } from './values-parser.js';

/** The records of one input file, shaped for the model: one tensor per model input, batch axis first. */
export interface InputRecords {
  /** Number of records (rows of the batch axis). */
  count: number;
  /** Whether the file wrote the batch axis itself (`[1,28,28,1]`) or gave one bare record (`[28,28,1]`). */
  hadBatchAxis: boolean;
  tensors: Tensor[];
}

const fmt = (shape: (number | null)[]) => `[${shape.map((d) => (d === null ? 'any' : d)).join(', ')}]`;

/**
 * Fits parsed arrays to the model's inputs. A file's `values` may carry the batch axis (rank equal to the
 * model input's) or be one record without it (rank one less). Every fixed axis must match; errors name the axis.
 */
export function shapeRecords(
  arrays: { dims: number[]; data: Float32Array }[],
  specs: TensorSpec[],
): InputRecords {
  let count = -1;
  let hadBatchAxis = true;
  const tensors = arrays.map((array, i) => {
    const spec = specs[i];
    const label = specs.length === 1 ? '"values"' : `"values"[${i}] (input ${spec.name})`;
    const expected = spec.shape;
    let dims = array.dims;
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
    return { data: array.data, dims };
  });
  return { count, hadBatchAxis, tensors };
}

/** Parses and shapes one seed input file (`{"values": ...}`) for a model. */
export function readInputFile(bytes: Uint8Array, specs: TensorSpec[]): InputRecords {
  return shapeRecords(parseValues(bytes, specs.length), specs);
}
