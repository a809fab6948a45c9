import type { Tensor } from '../engine/types.js';
import { LimitError } from '../util/limits.js';
import { type Nested, type NestedClasses, nest, predictClasses } from './classes.js';

/** The longest string V8 can make (2^29 - 24 characters): an output is built as one. */
const MAX_STRING = 2 ** 29 - 24;

/** The fields of every prediction, in the seed's order. */
export const FIELDS = ['prediction', 'prediction_classes', 'probability'] as const;

/**
 * Formats a float32 value exactly as Python's `repr(float(np.float32(x)))` does, which is what Keras users see in
 * the seed (`0.119932159781456`): the shortest digits that round-trip the double, fixed notation for exponents
 * -4..15 (`1.0`, `0.0001`), scientific otherwise (`2.8e-06`, `1e+16`). Non-finite values become `null` (valid
 * JSON; Python would have written `NaN`).
 */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 1e16) {
    // Python's fixed range, where JavaScript's String() is fixed too, with the same shortest digits.
    const fixed = String(v);
    return fixed.includes('.') ? fixed : `${fixed}.0`;
  }
  const sci = v.toExponential();
  const e = sci.indexOf('e');
  const exponent = Number(sci.slice(e + 1));
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sci.slice(0, e)}e${sign}${digits}`;
  }
  const fixed = String(v);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

function writeNested(value: Nested | NestedClasses, asFloat: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return asFloat ? formatNumber(value) : String(value);
  return `[${value.map((v) => writeNested(v, asFloat)).join(', ')}]`;
}

/** One record's `[prediction, prediction_classes, probability]`, with several outputs as lists per field. */
export function recordValues(outputs: Tensor[], record: number): string {
  const preds: string[] = [];
  const classes: string[] = [];
  for (const out of outputs) {
    const rowDims = out.dims.slice(1);
    const rowSize = rowDims.reduce((a, b) => a * b, 1);
    const offset = record * rowSize;
    preds.push(writeNested(nest(out.data, offset, rowDims), true));
    classes.push(writeNested(predictClasses(out.data, offset, rowDims), false));
  }
  const pred = outputs.length === 1 ? preds[0] : `[${preds.join(', ')}]`;
  const cls = outputs.length === 1 ? classes[0] : `[${classes.join(', ')}]`;
  return `[${pred}, ${cls}, ${pred}]`;
}

/** What {@link predictionChunks} may produce. */
export interface ChunkOptions {
  /** Most characters of the whole output (the `output-bytes-per-file` limit), checked as it grows. */
  maxBytes?: number;
  /** Said after the file's name when the limit is refused (why the limit is what it is). */
  note?: string;
  /** Rows are gathered into pieces of about this many characters. Default 1 MiB. */
  chunkChars?: number;
}

/**
 * The seed's output object for one input file, `{"<file>": {"fields": [...], "values": [...]}}`, produced
 * piece by piece (rows gathered into pieces of about 1 MiB), so an output of 10^6 records is written without
 * ever being one string. The pieces joined are exactly {@link formatPrediction}'s text. Over `maxBytes`, the
 * generator throws a {@link LimitError} before yielding the piece that passes it.
 */
export function* predictionChunks(
  fileName: string,
  outputs: Tensor[],
  first: number,
  count: number,
  options: ChunkOptions = {},
): Generator<string> {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const chunkChars = options.chunkChars ?? 2 ** 20;
  const head = `{${JSON.stringify(fileName)}: {"fields": ${JSON.stringify(FIELDS).replace(/,/g, ', ')}, "values": `;
  if (count === 1) {
    yield `${head}${recordValues(outputs, first)}}}`;
    return;
  }
  let piece = `${head}[`;
  let length = 0;
  for (let r = 0; r < count; r += 1) {
    const row = recordValues(outputs, first + r);
    length += row.length + 2;
    // checked as it grows: a file whose output is over the budget is refused before it is built (or written) whole
    if (length > maxBytes) {
      const estimate = Math.ceil((length / (r + 1)) * count);
      const what = `the output of ${fileName}${options.note ?? ''}`;
      throw new LimitError('scoring', 'outputBytesPerFile', what, estimate, maxBytes);
    }
    piece += r === 0 ? row : `, ${row}`;
    if (piece.length >= chunkChars) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}]}}`;
}

/**
 * The seed's output object for one input file as one string: `{"<file>": {"fields": [...], "values": [...]}}`.
 * One record gives `values: [prediction, class, probability]`; several give a list of such rows, as WML
 * online scoring returns. `first`/`count` select this file's rows inside a larger batch. A string is at most
 * 512 MiB: larger outputs are written from {@link predictionChunks}.
 */
export function formatPrediction(
  fileName: string,
  outputs: Tensor[],
  first: number,
  count: number,
  maxBytes = Number.POSITIVE_INFINITY,
): string {
  const note = maxBytes > MAX_STRING ? ' (an output is one string: 512 MiB at most)' : undefined;
  const pieces = predictionChunks(fileName, outputs, first, count, {
    maxBytes: Math.min(maxBytes, MAX_STRING),
    note,
  });
  return [...pieces].join('');
}

/**
 * How many of the records `first .. first + count - 1` have a NaN or ±Infinity in any output (their values are
 * written as `null`, and the classes computed from them too).
 */
export function nonFiniteRecords(outputs: Tensor[], first: number, count: number): number {
  let bad = 0;
  for (let r = first; r < first + count; r += 1) {
    const hit = outputs.some((out) => {
      const rowSize = out.dims.slice(1).reduce((a, b) => a * b, 1);
      for (let i = r * rowSize; i < (r + 1) * rowSize; i += 1) if (!Number.isFinite(out.data[i])) return true;
      return false;
    });
    if (hit) bad += 1;
  }
  return bad;
}

/** True when any prediction value lies outside [0, 1] (Keras' `predict_proba` warned then). */
export function outsideUnitInterval(outputs: Tensor[]): boolean {
  for (const out of outputs) {
    for (let i = 0; i < out.data.length; i += 1) if (out.data[i] < 0 || out.data[i] > 1) return true;
  }
  return false;
}
