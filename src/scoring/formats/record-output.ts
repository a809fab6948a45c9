import type { Tensor } from '../../engine/types.js';
import { FIELDS, recordValues } from '../output.js';

const FIELDS_JSON = JSON.stringify(FIELDS).replace(/,/g, ', ');

/** How an output line names its record: by the `--id-field` value (JSON text), else by its line (or CSV row) number. */
export interface RecordKey {
  /** 1-based line (JSON Lines) or row (CSV) number. */
  n: number;
  /** The id as JSON text, when the input named one. */
  id?: string;
}

const head = (key: RecordKey, unit: string) =>
  key.id !== undefined ? `{"id": ${key.id}` : `{"${unit}": ${key.n}`;

/**
 * One JSON Lines output line for a scored record: `{"id"|"line": …, "fields": [...], "values": [prediction,
 * prediction_classes, probability]}`, the values as in the seed's output for one record.
 */
export function formatRecordLine(key: RecordKey, outputs: Tensor[], row: number, unit = 'line'): string {
  return `${head(key, unit)}, "fields": ${FIELDS_JSON}, "values": ${recordValues(outputs, row)}}\n`;
}

/** The output line of a record that could not be scored: `{"id"|"line": …, "error": {"code", "message"}}`. */
export function formatRecordError(key: RecordKey, code: string, message: string, unit = 'line'): string {
  return `${head(key, unit)}, "error": ${JSON.stringify({ code, message })}}\n`;
}
