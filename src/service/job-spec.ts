import { formatLocation, type Location, locationsOverlap } from '../storage/index.js';

/**
 * What a job of its own (a WML v4 deployment job) stores beyond a deployment's job: its name, the request as
 * shown back (keys masked), the inputs it reads under its source, an inline input and its predictions.
 */

/** One inline input of a job: the seed's `values`, optionally `fields` and an `id`. */
export interface InlineInput {
  id?: string;
  fields?: string[];
  values: unknown;
}

/** One block of predictions of an inline job: WML v4's `{fields, values}`. */
export interface InlinePrediction {
  id?: string;
  fields: string[];
  values: unknown[];
}

export interface JobSpec {
  name: string;
  /** The request as the client sent it, with every key masked: shown back in the job's record. */
  request: Record<string, unknown>;
  /** Globs of the inputs read under the source (one file named by a reference), default every input. */
  include?: string[];
  /** `zip`: a zip input is written as one zip of outputs. */
  output_format?: 'zip';
  /** Inline records: scored without storage, predictions in the record. */
  input_data?: InlineInput[];
  predictions?: InlinePrediction[];
}

/** The spec of a job row, or null for a deployment's own job. */
export function jobSpecOf(row: { spec: string | null }): JobSpec | null {
  return row.spec ? (JSON.parse(row.spec) as JobSpec) : null;
}

/**
 * Whether a job's target clashes with its source: they overlap, or, for a job that reads one named file
 * (`include`), the target is that file's own folder (its output would replace it). A target inside the
 * folder of one named file is fine: nothing else there is read.
 */
export function placesClash(source: Location, target: Location, spec: JobSpec | null): boolean {
  if (spec?.include) return formatLocation(source) === formatLocation(target);
  return locationsOverlap(source, target);
}
