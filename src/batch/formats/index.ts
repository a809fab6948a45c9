import type { TensorSpec } from '../../engine/types.js';
import type { Stage } from '../types.js';
import { csvFormat } from './csv.js';
import { jsonOutputKey, scoreImageFile } from './image-file.js';
import { jsonlFormat, type LineParser } from './jsonl.js';
import { npyOutputKey, scoreNpyFile } from './npy-file.js';
import { formatOfKey } from './select.js';
import type { StreamContext } from './stream-file.js';
import type { FileFormat, FormatOptions, StreamFormat } from './types.js';

export {
  RESIZE_MODES,
  type ResizeMode,
  SCALE_MODES,
  type ScaleMode,
} from '../../scoring/formats/image.js';
export { scoreImageFile } from './image-file.js';
export type { LineParser } from './jsonl.js';
export { scoreNpyFile } from './npy-file.js';
export { defaultInclude, formatOfKey, INPUT_FORMATS } from './select.js';
export { type RecordFailure, type StreamContext, type StreamResult, scoreStreamFile } from './stream-file.js';
export type {
  FileFormat,
  FormatOptions,
  InputFormat,
  OutputFormat,
  StreamFormat,
  StreamItem,
} from './types.js';
export { scoreZipFile, zipOutputFolder } from './zip-file.js';

/** The formats of one job: which one each key is read as, and the stream format of record files. */
export class JobFormats {
  private readonly streams = new Map<FileFormat, StreamFormat>();

  constructor(
    private readonly specs: TensorSpec[],
    private readonly outputs: TensorSpec[],
    private readonly options: FormatOptions = {},
    /** Where blocks of JSON Lines are parsed (the job's file threads); on this thread when absent. */
    private readonly parseLines?: LineParser,
  ) {}

  formatOf(key: string): FileFormat {
    return formatOfKey(key, this.options.inputFormat);
  }

  /** Whether an input of this key is read whole (the size limit applies) rather than streamed. */
  readWhole(key: string): boolean {
    const format = this.formatOf(key);
    // A .npy is streamed; an .npz (a zip: its arrays are read whole) is not.
    return format === 'json' || format === 'image' || (format === 'npy' && /\.npz$/i.test(key));
  }

  /** The stream format of a record file's format (null for the seed's JSON files). */
  stream(format: FileFormat): StreamFormat | null {
    if (format === 'json' || format === 'zip' || format === 'npy' || format === 'image') return null;
    let made = this.streams.get(format);
    if (!made) {
      made =
        format === 'csv'
          ? csvFormat(this.specs, this.outputs, this.options)
          : jsonlFormat(this.specs, this.options, this.parseLines);
      this.streams.set(format, made);
    }
    return made;
  }

  /**
   * The key whose presence in the target shows an input's output was written (for resume), or null when there
   * is no single one (a zip's folder of outputs: the ledger alone tells).
   */
  outputKey(key: string): string | null {
    const format = this.formatOf(key);
    if (format === 'zip') return this.options.outputFormat === 'zip' ? key : null;
    if (format === 'image') return jsonOutputKey(key);
    if (format === 'npy') return npyOutputKey(key, this.outputs.length, this.options.outputFormat === 'json');
    return this.stream(format)?.outputKey(key) ?? key;
  }

  /** Scores an image or NumPy file (read whole, one output); null for the other formats. */
  scoreWhole(ctx: StreamContext, format: FileFormat, key: string, at: { stage: Stage }) {
    const o = this.options;
    if (format === 'image') return scoreImageFile(ctx, { resize: o.resize, scale: o.scale }, key, at);
    if (format === 'npy')
      return scoreNpyFile(ctx, { npzArrays: o.npzArrays, json: o.outputFormat === 'json' }, key, at);
    return null;
  }

  /** Whether a zip's outputs go in one zip rather than a folder. */
  get zipOutput(): boolean {
    return this.options.outputFormat === 'zip';
  }
}
