import type { FormatOptions, InputFormat, OutputFormat } from '../batch/index.js';

/** A deployment's stored options. */
export interface DeploymentOptionsRow {
  batch_size?: number;
  max_failures?: string;
  concurrency?: number;
  input_format?: InputFormat;
  output_format?: OutputFormat;
  id_field?: string;
  columns?: string[];
  id_column?: string;
  join?: 'id' | 'input';
  npz_arrays?: string[];
  resize?: FormatOptions['resize'];
  scale?: FormatOptions['scale'];
}

/** The input-format options of a deployment as the batch runner takes them. */
export function formatOptions(o: DeploymentOptionsRow): FormatOptions {
  return {
    inputFormat: o.input_format,
    outputFormat: o.output_format,
    idField: o.id_field,
    columns: o.columns,
    idColumn: o.id_column,
    join: o.join,
    npzArrays: o.npz_arrays,
    resize: o.resize,
    scale: o.scale,
  };
}
