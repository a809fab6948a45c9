import type { Tensor, TensorSpec } from '../../engine/types.js';
import { InputError } from '../../util/errors.js';
import { type NestedClasses, predictClasses } from '../classes.js';
import { formatNumber } from '../output.js';

/** A CSV field, quoted when it holds the delimiter, a quote or a line break. */
export function csvField(text: string, delimiter: string): string {
  return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The prediction columns of a model's outputs: `prediction_0..k`, `prediction_class` (per output when several). */
export function predictionColumns(outputs: TensorSpec[]): string[] {
  const names: string[] = [];
  outputs.forEach((spec, o) => {
    const row = spec.shape.slice(1);
    if (row.some((d) => d === null)) {
      throw new InputError(
        'OUTPUT_CSV_OPEN_SHAPE',
        `the model output ${spec.name} has open axes [${row.map((d) => d ?? 'any').join(', ')}]: write JSON Lines (--output-format jsonl)`,
      );
    }
    const size = (row as number[]).reduce((a, b) => a * b, 1);
    const stem = outputs.length === 1 ? 'prediction' : `prediction_${o}`;
    for (let i = 0; i < size; i += 1) names.push(`${stem}_${i}`);
    names.push(outputs.length === 1 ? 'prediction_class' : `prediction_class_${o}`);
  });
  return names;
}

const classText = (c: NestedClasses): string =>
  c === null ? '' : typeof c === 'number' ? String(c) : JSON.stringify(c);

/** The prediction fields of row `row` of `outputs`, in {@link predictionColumns} order (NaN/±Infinity empty). */
export function predictionFields(outputs: Tensor[], row: number, delimiter: string): string {
  const parts: string[] = [];
  for (const out of outputs) {
    const rowDims = out.dims.slice(1);
    const size = rowDims.reduce((a, b) => a * b, 1);
    const offset = row * size;
    for (let i = 0; i < size; i += 1) {
      const v = out.data[offset + i];
      parts.push(Number.isFinite(v) ? formatNumber(v) : '');
    }
    parts.push(csvField(classText(predictClasses(out.data, offset, rowDims)), delimiter));
  }
  return parts.join(delimiter);
}
