import type { TensorSpec } from '../../engine/types.js';
import { errorMessage, KerasBatchError } from '../../util/errors.js';
import type { InputRecords } from '../records.js';
import { readJsonLine } from './jsonl-line.js';
import { blockLines } from './lines.js';

/** One non-blank line of a block as read: its record, or why it cannot be scored. */
export interface PageLine {
  /** 1-based line number in the file. */
  n: number;
  /** The `--id-field` value as JSON text. */
  id?: string;
  error?: { code: string; message: string };
  /** A model with one numeric input: the record's dims; its values are the next ones of {@link LinePage.data}. */
  dims?: number[];
  batchAxis?: boolean;
  /** Other models (several inputs, strings): the record itself. */
  records?: InputRecords;
}

/**
 * The lines of a block of JSON Lines, read for a model: made to cross threads cheaply (the numbers of a
 * one-input numeric model are packed in one array that is moved, not copied).
 */
export interface LinePage {
  lines: PageLine[];
  data: Float32Array;
}

/** Reads every line of a block (lines numbered from `before + 1`); a bad line fails alone, with its error. */
export function parseLineBlock(
  bytes: Uint8Array,
  before: number,
  specs: TensorSpec[],
  idField?: string,
): LinePage {
  const packed = specs.length === 1 && specs[0].dtype !== 'string';
  const lines: PageLine[] = [];
  const parts: Float32Array[] = [];
  let total = 0;
  for (const { n, bytes: text } of blockLines(bytes, before)) {
    try {
      const { records, id } = readJsonLine(text, specs, idField);
      const line: PageLine = { n };
      if (id !== undefined) line.id = id;
      const tensor = records.tensors[0];
      if (packed && 'data' in tensor) {
        line.dims = tensor.dims;
        line.batchAxis = records.hadBatchAxis;
        parts.push(tensor.data);
        total += tensor.data.length;
      } else line.records = records;
      lines.push(line);
    } catch (error) {
      const code = error instanceof KerasBatchError ? error.code : 'INPUT_INVALID';
      lines.push({ n, error: { code, message: errorMessage(error).replace(/^\[[a-z]+\] /, '') } });
    }
  }
  const data = new Float32Array(total);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { lines, data };
}

/** The records of a page's lines, in order (undefined for a line that failed), viewing the page's numbers. */
export function pageRecords(page: LinePage): (InputRecords | undefined)[] {
  let at = 0;
  return page.lines.map((line) => {
    if (line.records || !line.dims) return line.records;
    const size = line.dims.reduce((a, b) => a * b, 1);
    const data = page.data.subarray(at, at + size);
    at += size;
    return { count: 1, hadBatchAxis: line.batchAxis ?? true, tensors: [{ data, dims: line.dims }] };
  });
}
