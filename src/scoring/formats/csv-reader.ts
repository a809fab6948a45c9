import { parse } from 'csv-parse';
import type { TensorSpec } from '../../engine/types.js';
import { InputError } from '../../util/errors.js';
import type { InputRecords } from '../records.js';

/** How a CSV file's rows become records. */
export interface CsvReadOptions {
  /** `,` (`.csv`) or a tab (`.tsv`). */
  delimiter: string;
  /** The columns the model reads, in order (default: every column but `idColumn`). */
  columns?: string[];
  idColumn?: string;
  /** Keep every input field of each row (to write them before the predictions). */
  keepFields: boolean;
}

/** One data row read: its records for the engine, or why it cannot be scored. */
export interface CsvRow {
  /** 1-based data row (the header is row 0). */
  n: number;
  /** The file line where the row ends (rows may span lines inside quotes). */
  line: number;
  id?: string;
  fields?: string[];
  records?: InputRecords;
  error?: { code: string; message: string };
}

/** The header of a CSV file and what it means for the model. */
export interface CsvHeader {
  names: string[];
  /** Positions of the model's columns. */
  picked: number[];
  idIndex: number;
}

/** Resolves the header against the options and the model's one input; a mismatch fails the whole file. */
export function resolveHeader(names: string[], spec: TensorSpec, o: CsvReadOptions): CsvHeader {
  const find = (name: string, what: string) => {
    const i = names.indexOf(name);
    if (i === -1) {
      throw new InputError(
        'INPUT_CSV_NO_COLUMN',
        `the header has no column "${name}" (${what}); it has ${names.join(', ')}`,
      );
    }
    return i;
  };
  const idIndex = o.idColumn === undefined ? -1 : find(o.idColumn, '--id-column');
  const picked = o.columns
    ? o.columns.map((c) => find(c, '--columns'))
    : names.map((_, i) => i).filter((i) => i !== idIndex);
  const record = spec.shape.slice(1);
  const size = record.every((d) => d !== null) ? (record as number[]).reduce((a, b) => a * b, 1) : -1;
  if (size !== picked.length) {
    throw new InputError(
      'INPUT_CSV_COLUMNS',
      `the model input ${spec.name} takes records of shape [${record.map((d) => d ?? 'any').join(', ')}] (${size === -1 ? 'open' : size} values), but ${picked.length} column(s) are selected (--columns, --id-column)`,
    );
  }
  return { names, picked, idIndex };
}

/** The one input of a model that reads CSV (a model with several inputs cannot). */
export function csvSpec(specs: TensorSpec[]): TensorSpec {
  if (specs.length !== 1) {
    throw new InputError(
      'INPUT_CSV_MODEL',
      `CSV inputs need a model with one input; this one has ${specs.length}`,
    );
  }
  return specs[0];
}

/** Makes one row's record; a ragged row or a cell that is not a number fails the row alone. */
export function rowRecord(
  fields: string[],
  header: CsvHeader,
  spec: TensorSpec,
  /** Where the numbers go (a view of a page shared by many rows), and the dims to use (shared too). */
  into?: { data: Float32Array; dims: number[] },
): InputRecords {
  if (fields.length !== header.names.length) {
    throw new InputError(
      'INPUT_CSV_RAGGED',
      `the row has ${fields.length} fields, the header ${header.names.length}`,
    );
  }
  const dims = into?.dims ?? [1, ...(spec.shape.slice(1) as number[])];
  if (spec.dtype === 'string') {
    return {
      count: 1,
      hadBatchAxis: false,
      tensors: [{ strings: header.picked.map((i) => fields[i]), dims }],
    };
  }
  const data = into?.data ?? new Float32Array(header.picked.length);
  for (let k = 0; k < header.picked.length; k += 1) {
    const text = fields[header.picked[k]];
    // Number('') and Number('  ') are 0: a blank cell is not a number.
    let v = Number(text);
    if (v === 0 && text.trim() === '') v = Number.NaN;
    if (Number.isNaN(v) && text.trim() !== 'NaN') {
      throw new InputError(
        'INPUT_NOT_NUMERIC',
        `column "${header.names[header.picked[k]]}" is not a number: ${JSON.stringify(text.slice(0, 40))}`,
      );
    }
    data[k] = v;
  }
  return { count: 1, hadBatchAxis: false, tensors: [{ data, dims }] };
}

/**
 * Reads a CSV stream with `csv-parse` a chunk at a time: the header row, then each data row as a record of the
 * model's one input. Rows come out in file order, bad ones with their error; malformed quoting fails its row.
 */
export async function* readCsv(
  body: AsyncIterable<Uint8Array>,
  specs: TensorSpec[],
  o: CsvReadOptions,
  onHeader: (header: CsvHeader) => void,
  /** Where an earlier reader of the same file stopped (at a line boundary): its header, rows and lines. */
  from?: { header: CsvHeader | null; rows: number; lines: number },
): AsyncGenerator<CsvRow[]> {
  const spec = csvSpec(specs);
  let header: CsvHeader | null = from?.header ?? null;
  let rows: CsvRow[] = [];
  let n = from?.rows ?? 0;
  const lines0 = from?.lines ?? 0;
  let fatal: unknown = null;
  const parser = parse({
    delimiter: o.delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      n += 1;
      const line = lines0 + ((error as { lines?: number } | undefined)?.lines ?? parser.info.lines);
      rows.push({
        n,
        line,
        error: {
          code: 'INPUT_CSV_INVALID',
          // csv-parse counts lines from where it started reading.
          message: (error?.message ?? 'not valid CSV').replace(
            /\bat line (\d+)/g,
            (_, d: string) => `at line ${Number(d) + lines0}`,
          ),
        },
      });
      return undefined;
    },
    on_record: (fields: string[], context) => {
      if (!header) {
        try {
          header = resolveHeader(fields, spec, o);
          onHeader(header);
        } catch (error) {
          fatal = error;
        }
        return null;
      }
      n += 1;
      const row: CsvRow = { n, line: lines0 + context.lines };
      if (header.idIndex !== -1) row.id = fields[header.idIndex];
      if (o.keepFields) row.fields = fields;
      try {
        row.records = rowRecord(fields, header, spec);
      } catch (error) {
        const e = error as InputError;
        row.error = { code: e.code ?? 'INPUT_INVALID', message: e.message.replace(/^\[[a-z]+\] /, '') };
      }
      rows.push(row);
      return null;
    },
  });
  parser.on('error', (error) => {
    fatal ??= error;
  });
  const write = (chunk: Uint8Array | null) =>
    new Promise<void>((resolve) => {
      if (chunk) parser.write(chunk, () => resolve());
      else parser.end(() => resolve());
    });
  const take = () => {
    const out = rows;
    rows = [];
    return out;
  };
  for await (const chunk of body) {
    await write(chunk);
    if (fatal) throw fatal;
    if (rows.length > 0) yield take();
  }
  await write(null);
  if (fatal) throw fatal;
  if (!header) throw new InputError('INPUT_EMPTY', 'the file has no header row');
  if (rows.length > 0) yield take();
}
