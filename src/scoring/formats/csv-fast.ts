import type { TensorSpec } from '../../engine/types.js';
import { InputError } from '../../util/errors.js';
import {
  type CsvHeader,
  type CsvReadOptions,
  type CsvRow,
  csvSpec,
  readCsv,
  resolveHeader,
  rowRecord,
} from './csv-reader.js';
import { type LineBlock, splitBlocks } from './lines.js';

const QUOTE = 0x22;
const CR = 0x0d;

/**
 * Reads a CSV stream as {@link readCsv} does, row for row (numbers, errors, line numbers alike), but splits the
 * plain lines itself: while the file holds no quote and no carriage return, a row is its line split at the
 * delimiter, which is all csv-parse makes of it too. From the first block of lines that holds either, the rest
 * of the file goes to {@link readCsv}, which takes over where this stopped.
 */
export async function* readCsvFast(
  body: AsyncIterable<Uint8Array>,
  specs: TensorSpec[],
  o: CsvReadOptions,
  onHeader: (header: CsvHeader) => void,
  /** Rows and lines of the file before `body` (a part of a split file): numbers continue from them. */
  start: { rows: number; lines: number } = { rows: 0, lines: 0 },
): AsyncGenerator<CsvRow[]> {
  const spec = csvSpec(specs);
  const blocks = splitBlocks(body, 1 << 18)[Symbol.asyncIterator]();
  let header: CsvHeader | null = null;
  let n = start.rows;
  let first = true;
  /** Where each column goes (see slotsOf), once the header is read; null: every row is read as text. */
  let slots: Int32Array | null = null;
  for (;;) {
    const step = await blocks.next();
    if (step.done) break;
    const block = { ...step.value, before: step.value.before + start.lines };
    let bytes = block.bytes;
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    first = false;
    if (bytes.includes(QUOTE) || bytes.includes(CR)) {
      yield* readCsv(rest({ bytes, before: block.before }, blocks), specs, o, onHeader, {
        header,
        rows: n,
        lines: block.before,
      });
      return;
    }
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const starts = lineStarts(buffer);
    const rows: CsvRow[] = [];
    // The block's numbers in one page (a view per row): far fewer arrays for the collector.
    let width = header?.picked.length ?? 0;
    let page = new Float32Array(width * (starts.length - 1));
    const dims = [1, ...(spec.shape.slice(1) as number[])];
    for (let i = 0; i + 1 < starts.length; i += 1) {
      const start = starts[i];
      const end = starts[i + 1] - 1; // the line break (or one past the block's last byte)
      if (end <= start) continue;
      if (slots && header && width === header.picked.length) {
        // Plain numbers straight from the bytes; anything else reads the line as text below.
        const id = scanRow(buffer, start, end, o.delimiter.charCodeAt(0), slots, page, i * width);
        if (id !== null) {
          n += 1;
          const row: CsvRow = { n, line: block.before + i + 1 };
          if (header.idIndex !== -1) row.id = buffer.toString('utf8', id[0], id[1]);
          const data = page.subarray(i * width, (i + 1) * width);
          row.records = { count: 1, hadBatchAxis: false, tensors: [{ data, dims }] };
          rows.push(row);
          continue;
        }
      }
      const fields = buffer.toString('utf8', start, end).split(o.delimiter);
      if (!header) {
        header = resolveHeader(fields, spec, o);
        onHeader(header);
        if (!o.keepFields && spec.dtype !== 'string') slots = slotsOf(header);
        width = header.picked.length;
        page = new Float32Array(width * (starts.length - 1));
        continue;
      }
      n += 1;
      const row: CsvRow = { n, line: block.before + i + 1 };
      if (header.idIndex !== -1) row.id = fields[header.idIndex];
      if (o.keepFields) row.fields = fields;
      try {
        const data = width === header.picked.length ? page.subarray(i * width, (i + 1) * width) : undefined;
        row.records = rowRecord(fields, header, spec, data && { data, dims });
      } catch (error) {
        const e = error as InputError;
        row.error = { code: e.code ?? 'INPUT_INVALID', message: e.message.replace(/^\[[a-z]+\] /, '') };
      }
      rows.push(row);
    }
    if (rows.length > 0) yield rows;
  }
  if (!header) throw new InputError('INPUT_EMPTY', 'the file has no header row');
}

/** A block and the blocks after it, as one byte stream again. */
async function* rest(block: LineBlock, blocks: AsyncIterator<LineBlock>): AsyncGenerator<Uint8Array> {
  yield block.bytes;
  for (let step = await blocks.next(); !step.done; step = await blocks.next()) yield step.value.bytes;
}

/** Where each line of a block starts, and one past its end (as if a line break followed the last line). */
function lineStarts(buffer: Buffer): number[] {
  const starts = [0];
  for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, nl + 1)) starts.push(nl + 1);
  // A block ends with a line break but the last one: nothing follows the last break.
  if (starts[starts.length - 1] < buffer.length) {
    starts.push(buffer.length + 1);
  }
  return starts;
}

/**
 * For each column of the header: its place in the model's record, -2 for the id column, -1 for neither; null
 * when the id column is also one the model reads (such rows are read as text).
 */
function slotsOf(header: CsvHeader): Int32Array | null {
  if (header.idIndex !== -1 && header.picked.includes(header.idIndex)) return null;
  const slots = new Int32Array(header.names.length).fill(-1);
  header.picked.forEach((column, k) => {
    slots[column] = k;
  });
  if (header.idIndex !== -1) slots[header.idIndex] = -2;
  return slots;
}

/** Exact powers of ten a double holds (Clinger's fast path is exact for them). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Reads a row of plain numbers (`-?digits(.digits)?`, at most 15 significant digits) from the bytes of one line
 * into `page` at `at`, in the model's column order; returns where its id column is (or [0, 0]), or null for any
 * other row (a field count that differs, an empty cell, any other number or text): that row is read as text,
 * with `Number()`, which gives the same values for the rows this one reads.
 */
function scanRow(
  b: Buffer,
  start: number,
  end: number,
  delimiter: number,
  slots: Int32Array,
  page: Float32Array,
  at: number,
): [number, number] | null {
  let column = 0;
  let p = start;
  const id: [number, number] = [0, 0];
  for (;;) {
    if (column >= slots.length) return null;
    const slot = slots[column];
    const first = p;
    if (slot < 0) {
      while (p < end && b[p] !== delimiter) p += 1;
      if (slot === -2) {
        id[0] = first;
        id[1] = p;
      }
    } else {
      let c = b[p];
      const negative = c === 0x2d;
      if (negative) c = b[++p];
      if (!(c >= 0x30 && c <= 0x39) || p >= end) return null;
      let mantissa = 0;
      let digits = 0;
      let scale = 0;
      while (p < end && c >= 0x30 && c <= 0x39) {
        mantissa = mantissa * 10 + (c - 0x30);
        if (mantissa !== 0) digits += 1;
        c = b[++p];
      }
      if (p < end && c === 0x2e) {
        c = b[++p];
        if (!(p < end && c >= 0x30 && c <= 0x39)) return null;
        while (p < end && c >= 0x30 && c <= 0x39) {
          mantissa = mantissa * 10 + (c - 0x30);
          if (mantissa !== 0) digits += 1;
          scale += 1;
          c = b[++p];
        }
      }
      if (digits > 15 || scale > 22 || (p < end && c !== delimiter)) return null;
      const value = mantissa / POW10[scale];
      page[at + slot] = negative ? -value : value;
    }
    column += 1;
    if (p >= end) return column === slots.length ? id : null;
    p += 1; // the delimiter
    if (p >= end) return null; // a last empty field: read as text
  }
}
