import picomatch from 'picomatch';
import type { BucketDriver, ObjectEntry, PutBody } from '../storage/index.js';
import { defaultInclude, type FormatOptions, formatOfKey } from './formats/index.js';
import { runBatchJob } from './run-job.js';
import type { BatchJobOptions } from './types.js';

/** What a dry run found and measured. */
export interface DryRunSummary {
  inputs: number;
  /** False when the listing stopped at `maxListed` entries: `inputs` is then a lower bound. */
  complete: boolean;
  byFormat: Record<string, { files: number; bytes: number }>;
  sampled: number;
  report: Awaited<ReturnType<typeof runBatchJob>>;
  sample: { key: string; text: string } | null;
  cpuSeconds: number;
}

/** A source that lists only the first `n` inputs of the real one (the same include globs). */
function firstInputs(source: BucketDriver, entries: ObjectEntry[]): BucketDriver {
  return {
    ...source,
    async *list() {
      if (entries.length > 0) yield entries;
    },
    getStream: source.getStream?.bind(source),
    close: async () => undefined,
  };
}

/**
 * A target that keeps nothing: every write is read and dropped, the output of the first input in listing order
 * kept as a sample (outputs may arrive in any order when file threads write them).
 */
function nullTarget(describe: string, sample: { value: { key: string; text: string } | null }): BucketDriver {
  const keep = (key: string, text: string) => {
    if (key.startsWith('_keras-batch/') || (sample.value && sample.value.key <= key)) return;
    sample.value = { key, text: text.slice(0, 2000) };
  };
  const textOf = (body: PutBody) => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  return {
    kind: 'fs',
    async *list() {},
    get: async (key) => {
      throw new Error(`dry run: nothing to read at ${key}`);
    },
    put: async (key, body) => {
      keep(key, textOf(body));
      return {};
    },
    putStream: async (key, body) => {
      let text = '';
      for await (const chunk of body) if (text.length < 2000) text += textOf(chunk);
      keep(key, text);
      return {};
    },
    head: async () => null,
    delete: async () => undefined,
    describe: () => `${describe} (dry run: nothing written)`,
    close: async () => undefined,
  };
}

/**
 * `score --dry-run [N]` and the API's `validate`: lists the whole source (inputs by format), scores the first `n` inputs (and at most
 * `n` records of each record file) writing nothing, and returns what the summary prints.
 */
export async function dryRun(
  base: Omit<BatchJobOptions, 'target' | 'formats'> & { target: BucketDriver; formats: FormatOptions },
  n: number,
  /** Stop counting after this many listed entries (a huge bucket): the count is then a lower bound. */
  maxListed = Number.POSITIVE_INFINITY,
): Promise<DryRunSummary> {
  const include = base.include ?? defaultInclude(base.formats.inputFormat);
  const isInput = picomatch(include, { dot: true, nocase: true });
  const byFormat: DryRunSummary['byFormat'] = {};
  const first: ObjectEntry[] = [];
  let inputs = 0;
  let listed = 0;
  let complete = true;
  for await (const page of base.source.list()) {
    listed += page.length;
    for (const entry of page) {
      if (entry.key.startsWith('_keras-batch/') || entry.key.endsWith('/') || !isInput(entry.key)) continue;
      inputs += 1;
      const format = formatOfKey(entry.key, base.formats.inputFormat);
      byFormat[format] ??= { files: 0, bytes: 0 };
      byFormat[format].files += 1;
      byFormat[format].bytes += entry.size;
      if (first.length < n) first.push(entry);
    }
    if (listed >= maxListed) {
      complete = false;
      break;
    }
  }
  const sample: { value: { key: string; text: string } | null } = { value: null };
  const cpu = process.cpuUsage();
  const report = await runBatchJob({
    ...base,
    source: firstInputs(base.source, first),
    target: nullTarget(base.target.describe(), sample),
    formats: { ...base.formats, recordLimit: n },
    ioThreads: 0,
    countAhead: false,
    preflight: false,
    resume: false,
    writeReport: false,
    maxFailures: undefined,
  });
  const used = process.cpuUsage(cpu);
  return {
    inputs,
    complete,
    byFormat,
    sampled: first.length,
    report,
    sample: sample.value,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}
