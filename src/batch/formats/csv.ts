import type { TensorSpec } from '../../engine/types.js';
import { readCsvFast } from '../../scoring/formats/csv-fast.js';
import { csvField, predictionColumns, predictionFields } from '../../scoring/formats/csv-output.js';
import type { CsvHeader } from '../../scoring/formats/csv-reader.js';
import { formatRecordError, formatRecordLine } from '../../scoring/formats/record-output.js';
import type { FormatOptions, StreamFile, StreamFormat, StreamItem } from './types.js';

/**
 * CSV (`.csv`) and TSV (`.tsv`) with a header row: each data row one record of the selected columns. Output:
 * under the same key, the row's id (`idColumn`, else the row number) or every input column (`join: input`),
 * then `prediction_0..k`, `prediction_class` and `error`; or `<name>.jsonl` with `outputFormat: jsonl`.
 */
export function csvFormat(specs: TensorSpec[], outputs: TensorSpec[], options: FormatOptions): StreamFormat {
  const jsonl = options.outputFormat === 'jsonl';
  const join = options.join === 'input';
  const predictions = jsonl ? [] : predictionColumns(outputs);
  return {
    outputKey: (key) => (jsonl ? `${key.replace(/\.(csv|tsv)$/i, '')}.jsonl` : key),
    contentType: jsonl ? 'application/x-ndjson' : 'text/csv',
    unit: 'row',
    open: (key) => (jsonl ? jsonlFile(key) : csvFile(key)),
  };

  function read(key: string, body: AsyncIterable<Uint8Array>, onHeader: (h: CsvHeader) => void) {
    const delimiter = /\.tsv$/i.test(key) ? '\t' : ',';
    const o = { delimiter, columns: options.columns, idColumn: options.idColumn, keepFields: join };
    // A later part of a split file: its header was written to the output by the first part.
    const part = options.part;
    return readCsvFast(body, specs, o, part ? () => undefined : onHeader, part) as AsyncIterable<
      StreamItem[]
    >;
  }

  function jsonlFile(key: string): StreamFile {
    const keyOf = (item: StreamItem) => ({
      n: item.n,
      id: item.id === undefined ? undefined : JSON.stringify(item.id),
    });
    return {
      items: (body) => read(key, body, () => undefined),
      scored: (item, out, row) => formatRecordLine(keyOf(item), out, row, 'row'),
      failed: (item, code, message) => formatRecordError(keyOf(item), code, message, 'row'),
    };
  }

  function csvFile(key: string): StreamFile {
    const d = /\.tsv$/i.test(key) ? '\t' : ',';
    let header = '';
    const lead = (item: StreamItem) =>
      join
        ? `${(item.fields ?? []).map((f) => csvField(f, d)).join(d)}${d}`
        : `${csvField(item.id ?? String(item.n), d)}${d}`;
    return {
      items: (body) =>
        read(key, body, (h) => {
          const first = join ? h.names : [options.idColumn ?? 'row'];
          header = `${[...first, ...predictions, 'error'].map((c) => csvField(c, d)).join(d)}\n`;
        }),
      prelude: () => {
        const text = header;
        header = '';
        return text;
      },
      scored: (item, out, row) => `${lead(item)}${predictionFields(out, row, d)}${d}\n`,
      failed: (item, code, message) =>
        `${lead(item)}${d.repeat(predictions.length)}${csvField(`${code}: ${message}`, d)}\n`,
    };
  }
}
