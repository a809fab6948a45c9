/**
 * The input-format part of the Batch Prediction form: pure functions (tested on their own). Which options a
 * format takes follows the API's deployment options (docs/input-formats.md); only those of the chosen format are
 * shown and sent.
 */
import type { DeploymentInput } from '../../src/contract/client';
import type { Errors } from './validate';

type Options = NonNullable<DeploymentInput['options']>;
export type InputFormatChoice = '' | NonNullable<Options['input_format']>;

export interface FormatForm {
  input_format: InputFormatChoice;
  output_format: string;
  id_field: string;
  id_column: string;
  columns: string;
  join: string;
  npz_arrays: string;
  resize: string;
  scale: string;
}

export type FormatField = keyof FormatForm;

export const emptyFormat = (): FormatForm => ({
  input_format: '',
  output_format: '',
  id_field: '',
  id_column: '',
  columns: '',
  join: '',
  npz_arrays: '',
  resize: '',
  scale: '',
});

export const INPUT_FORMATS: { value: NonNullable<Options['input_format']>; label: string }[] = [
  { value: 'json', label: 'Seed JSON files ({"values": ...} per file)' },
  { value: 'jsonl', label: 'JSON Lines (.jsonl, .ndjson)' },
  { value: 'csv', label: 'CSV or TSV (.csv, .tsv)' },
  { value: 'npy', label: 'NumPy arrays (.npy, .npz)' },
  { value: 'image', label: 'Images (.png, .jpg, .webp, .gif, .bmp, .tif)' },
  { value: 'zip', label: 'Zips of seed JSON files (.zip)' },
];

/** The output formats a format may choose besides its default (empty: the default only). */
export const OUTPUT_FORMATS: Partial<Record<InputFormatChoice, { value: string; label: string }[]>> = {
  csv: [{ value: 'jsonl', label: 'JSON Lines (.jsonl)' }],
  zip: [{ value: 'zip', label: 'One zip of seed outputs' }],
  npy: [{ value: 'json', label: "The seed's JSON (<name>.json)" }],
};
export const OUTPUT_DEFAULT: Partial<Record<InputFormatChoice, string>> = {
  csv: 'CSV (the same name and delimiter)',
  zip: 'A folder of seed outputs',
  npy: '.npy of predictions + .classes.npy',
};

/** Which of the format's fields are shown (and sent) for a chosen input format. */
export function relevantFields(format: InputFormatChoice): FormatField[] {
  const out: FormatField[] = ['input_format'];
  if (OUTPUT_FORMATS[format]) out.push('output_format');
  if (format === 'jsonl') out.push('id_field');
  if (format === 'csv') out.push('id_column', 'columns', 'join');
  if (format === 'npy') out.push('npz_arrays');
  if (format === 'image') out.push('resize', 'scale');
  return out;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function validateFormat(f: FormatForm): Errors<FormatField> {
  const e: Errors<FormatField> = {};
  const shown = new Set(relevantFields(f.input_format));
  const long = (k: 'id_field' | 'id_column') => f[k].trim().length > 256;
  if (shown.has('id_field') && long('id_field')) e.id_field = 'Use at most 256 characters.';
  if (shown.has('id_column') && long('id_column')) e.id_column = 'Use at most 256 characters.';
  if (shown.has('columns')) {
    const cols = list(f.columns);
    if (f.columns.trim() && cols.length === 0) e.columns = 'Column names separated by commas: a,b,c.';
    else if (new Set(cols).size !== cols.length) e.columns = 'A column is named twice.';
    else if (f.id_column.trim() && cols.includes(f.id_column.trim()))
      e.columns = 'The id column is passed through, not scored: leave it out of the columns.';
  }
  if (shown.has('npz_arrays') && f.npz_arrays.trim() && list(f.npz_arrays).length === 0)
    e.npz_arrays = 'Array names separated by commas: a,b.';
  return e;
}

/** The deployment options of the chosen format's fields that are set (nothing for the other formats). */
export function formatOptions(f: FormatForm): Options {
  const shown = new Set(relevantFields(f.input_format));
  const o: Options = {};
  const text = (k: FormatField) => (shown.has(k) ? f[k].trim() : '');
  if (f.input_format) o.input_format = f.input_format;
  if (text('output_format')) o.output_format = text('output_format') as Options['output_format'];
  if (text('id_field')) o.id_field = text('id_field');
  if (text('id_column')) o.id_column = text('id_column');
  if (text('columns')) o.columns = list(f.columns);
  if (text('join')) o.join = text('join') as Options['join'];
  if (text('npz_arrays')) o.npz_arrays = list(f.npz_arrays);
  if (text('resize')) o.resize = text('resize') as Options['resize'];
  if (text('scale')) o.scale = text('scale') as Options['scale'];
  return o;
}

/** A deployment's options split into the format's fields (for the form) and the rest (kept as they are). */
export function splitFormatOptions(o: Options | undefined): { format: FormatForm; rest: Options } {
  const {
    input_format,
    output_format,
    id_field,
    id_column,
    columns,
    join,
    npz_arrays,
    resize,
    scale,
    ...rest
  } = o ?? {};
  const format: FormatForm = {
    input_format: input_format === 'auto' ? '' : (input_format ?? ''),
    output_format: output_format === 'auto' ? '' : (output_format ?? ''),
    id_field: id_field ?? '',
    id_column: id_column ?? '',
    columns: (columns ?? []).join(', '),
    join: join ?? '',
    npz_arrays: (npz_arrays ?? []).join(', '),
    resize: resize ?? '',
    scale: scale ?? '',
  };
  return { format, rest };
}

/** One line that says how a deployment reads its inputs, for its page. */
export function formatSummary(o: Options): string {
  const format = INPUT_FORMATS.find((f) => f.value === o.input_format);
  const parts = [format ? format.label : 'Any supported format, by file ending'];
  if (o.id_field) parts.push(`id field ${o.id_field}`);
  if (o.id_column) parts.push(`id column ${o.id_column}`);
  if (o.columns?.length) parts.push(`columns ${o.columns.join(', ')}`);
  if (o.join === 'input') parts.push('every input column joined to the output');
  if (o.npz_arrays?.length) parts.push(`arrays ${o.npz_arrays.join(', ')}`);
  if (o.resize) parts.push(`resize ${o.resize}`);
  if (o.scale) parts.push(`scale ${o.scale}`);
  if (o.output_format && o.output_format !== 'auto') parts.push(`output ${o.output_format}`);
  return parts.join('; ');
}
