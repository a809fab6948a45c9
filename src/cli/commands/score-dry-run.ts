import type { DryRunSummary } from '../../batch/index.js';
import type { Engine } from '../../engine/types.js';

export { type DryRunSummary, dryRun } from '../../batch/index.js';

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
