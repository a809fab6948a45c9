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
): AsyncGenerator<CsvRow[]> {
  const spec = csvSpec(specs);
  const blocks = splitBlocks(body, 1 << 18)[Symbol.asyncIterator]();
  let header: CsvHeader | null = null;
  let n = 0;
  let first = true;
  for (;;) {
    const step = await blocks.next();
    if (step.done) break;
    const block = step.value;
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
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const lines = text.split('\n');
    // A block ends with a line break but the last one: nothing follows the last break.
    if (lines[lines.length - 1] === '') lines.pop();
    const rows: CsvRow[] = [];
    // The block's numbers in one page (a view per row): far fewer arrays for the collector.
    const width = header?.picked.length ?? 0;
    const page = new Float32Array(width * lines.length);
    const dims = [1, ...(spec.shape.slice(1) as number[])];
    for (let i = 0; i < lines.length; i += 1) {
      const line = lines[i];
      if (line === '') continue;
      const fields = line.split(o.delimiter);
      if (!header) {
        header = resolveHeader(fields, spec, o);
        onHeader(header);
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
