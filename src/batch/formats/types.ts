import type { Tensor } from '../../engine/types.js';
import type { ResizeMode, ScaleMode } from '../../scoring/formats/image.js';
import type { InputRecords } from '../../scoring/index.js';

/** What the inputs are: `auto` tells by each key's extension. */
export type InputFormat = 'auto' | 'json' | 'jsonl' | 'csv' | 'zip' | 'npy' | 'image';

/** The format one input file is read as. */
export type FileFormat = Exclude<InputFormat, 'auto'>;

/** What a job writes for record formats (CSV: `csv` or `jsonl`; zip: a folder of seed files or a `zip`). */
export type OutputFormat = 'auto' | 'csv' | 'jsonl' | 'zip' | 'json';

/** The input-format options of a job (all optional: the seed's one-JSON-per-file format by default). */
export interface FormatOptions {
  /** Default `auto`: `.json` seed files, `.jsonl`/`.ndjson` (`.gz` too), `.csv`/`.tsv`, `.zip`. */
  inputFormat?: InputFormat;
  outputFormat?: OutputFormat;
  /** JSON Lines: a field passed through to each output line as `"id"`. */
  idField?: string;
  /** CSV: the columns the model reads, in order (default: every column but `idColumn`). */
  columns?: string[];
  /** CSV: the column written before the predictions to tell rows apart (default: the row number). */
  idColumn?: string;
  /** CSV: `input` writes every input column before the predictions. */
  join?: 'id' | 'input';
  /** NumPy `.npz`: the arrays the model reads, in the order of its inputs (default: by input name, or the only one). */
  npzArrays?: string[];
  /** Images: how they are brought to the model's height × width (default `stretch`). */
  resize?: ResizeMode;
  /** Images: how pixel values 0–255 are scaled (default `raw`). */
  scale?: ScaleMode;
  /** Read at most this many records of each record file (lines, rows, zip entries): a dry run's sample. */
  recordLimit?: number;
  /**
   * The input is a part of a split file after the first (a worker's; not an option of users): its lines and
   * rows are numbered on from `lines` lines and `rows` data rows before the body's own. A CSV part's body starts
   * with the file's header line, which the first part wrote to the output.
   */
  part?: { rows: number; lines: number };
}

/** One record of a record file as read: its records for the engine, or why it cannot be scored. */
export interface StreamItem {
  /** 1-based line (JSON Lines) or row (CSV) number. */
  n: number;
  /** Where the record starts in the file, for errors (a CSV row may span lines). */
  line: number;
  /** The id as JSON text (JSON Lines) or the id column's text (CSV). */
  id?: string;
  /** The input row's fields (CSV with `join: input`). */
  fields?: string[];
  records?: InputRecords;
  error?: { code: string; message: string };
}

/**
 * A format whose files hold many records, read and written as streams: items in, one output per file out,
 * in input order. {@link open} gives one file's reader and writer (state such as a CSV header is per file).
 */
export interface StreamFormat {
  /** The output's key for an input key. */
  outputKey(key: string): string;
  contentType: string;
  /** What a record is called in errors (`line`, `row`). */
  unit: string;
  open(key: string): StreamFile;
}

/** One record file being scored. */
export interface StreamFile {
  /** Reads the file's records, a page at a time. A thrown error fails the whole file. */
  items(body: AsyncIterable<Uint8Array>): AsyncIterable<StreamItem[]>;
  /** Text to write before what comes next (a CSV header once it is known), or ''. */
  prelude?(): string;
  /** The output text of a scored record: row `row` of `outputs`. */
  scored(item: StreamItem, outputs: Tensor[], row: number): string;
  /** The output text of a record that failed. */
  failed(item: StreamItem, code: string, message: string): string;
}
