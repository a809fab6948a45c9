import picomatch from 'picomatch';
import {
  type BatchJobOptions,
  defaultInclude,
  type FormatOptions,
  formatOfKey,
  runBatchJob,
} from '../../batch/index.js';
import type { Engine } from '../../engine/types.js';
import type { BucketDriver, ObjectEntry, PutBody } from '../../storage/index.js';

/** What a dry run found and measured. */
export interface DryRunSummary {
  inputs: number;
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

/** A target that keeps nothing: every write is read and dropped, the first output kept as a sample. */
function nullTarget(describe: string, sample: { value: { key: string; text: string } | null }): BucketDriver {
  const keep = (key: string, text: string) => {
    if (!sample.value && !key.startsWith('_keras-batch/')) sample.value = { key, text: text.slice(0, 2000) };
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
 * `score --dry-run [N]`: lists the whole source (inputs by format), scores the first `n` inputs (and at most
 * `n` records of each record file) writing nothing, and returns what the summary prints.
 */
export async function dryRun(
  base: Omit<BatchJobOptions, 'target' | 'formats'> & { target: BucketDriver; formats: FormatOptions },
  n: number,
): Promise<DryRunSummary> {
  const include = base.include ?? defaultInclude(base.formats.inputFormat);
  const isInput = picomatch(include, { dot: true, nocase: true });
  const byFormat: DryRunSummary['byFormat'] = {};
  const first: ObjectEntry[] = [];
  let inputs = 0;
  for await (const page of base.source.list()) {
    for (const entry of page) {
      if (entry.key.startsWith('_keras-batch/') || entry.key.endsWith('/') || !isInput(entry.key)) continue;
      inputs += 1;
      const format = formatOfKey(entry.key, base.formats.inputFormat);
      byFormat[format] ??= { files: 0, bytes: 0 };
      byFormat[format].files += 1;
      byFormat[format].bytes += entry.size;
      if (first.length < n) first.push(entry);
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
    resume: false,
    writeReport: false,
    maxFailures: undefined,
  });
  const used = process.cpuUsage(cpu);
  return {
    inputs,
    byFormat,
    sampled: first.length,
    report,
    sample: sample.value,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

const shape = (s: (number | null)[]) => `[${s.map((d) => d ?? 'any').join(', ')}]`;

/** The dry run's summary for a terminal. */
export function describeDryRun(s: DryRunSummary, engine: Engine): string {
  const r = s.report;
  const lines = [`dry run: nothing was written`];
  const formats = Object.entries(s.byFormat)
    .map(([f, v]) => `${v.files} ${f} (${(v.bytes / 1024 ** 2).toFixed(1)} MiB)`)
    .join(', ');
  lines.push(`  source: ${s.inputs} input file(s)${formats ? `: ${formats}` : ''}`);
  lines.push(`  model inputs: ${engine.inputs.map((i) => `${i.name} ${shape(i.shape)}`).join(', ')}`);
  const failedRecords = r.counts.failedRecords ?? 0;
  lines.push(
    `  sampled ${s.sampled} file(s): ${r.counts.records} record(s) scored, ${r.counts.failed} file(s) and ${failedRecords} record(s) failed`,
  );
  for (const f of r.failures.slice(0, 8)) {
    lines.push(
      `    ${f.file}${f.line ? `:${f.line}` : ''}${f.entry ? ` (${f.entry})` : ''} [${f.stage}] ${f.reason}`,
    );
  }
  if (s.sample)
    lines.push(`  sample output (${s.sample.key}):`, `    ${s.sample.text.split('\n')[0].slice(0, 300)}`);
  if (r.counts.records > 0) {
    const seconds = r.durationMs / 1000;
    const perRecord = seconds / r.counts.records;
    const cpuPerRecord = s.cpuSeconds / r.counts.records;
    lines.push(
      `  measured: ${(r.counts.records / seconds).toFixed(0)} records/s, ${(cpuPerRecord * 1000).toFixed(2)} ms CPU per record (a small sample: a rough guide)`,
    );
    const seedFiles = s.byFormat.json?.files ?? 0;
    if (seedFiles > 0) {
      lines.push(
        `  estimate for the ${seedFiles} seed file(s) (one record each): ~${(seedFiles * perRecord).toFixed(1)} s, ~${(seedFiles * cpuPerRecord).toFixed(1)} CPU s`,
      );
    }
    if (seedFiles < s.inputs) {
      lines.push(
        `  record files: ~${(100_000 * perRecord).toFixed(0)} s and ~${(100_000 * cpuPerRecord).toFixed(0)} CPU s per 100,000 records`,
      );
    }
  }
  return lines.join('\n');
}
