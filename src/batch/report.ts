import type { BucketDriver } from '../storage/index.js';
import { errorMessage } from '../util/errors.js';
import { JOB_PREFIX } from './ledger.js';
import type { BatchJobOptions, FileFailure, FileWarning, JobCounts, JobReport, StageTimes } from './types.js';

interface ReportInput {
  jobId: string;
  options: BatchJobOptions;
  started: Date;
  durationMs: number;
  /** The job's tally: its counts, failures and warnings. */
  tally: { counts: JobCounts; failures: FileFailure[]; warnings: FileWarning[] };
  stageMs: StageTimes;
  stoppedReason: string | null;
  canceled: boolean;
  batchSize: number;
  concurrency: number;
}

export function buildReport(input: ReportInput): JobReport {
  const { durationMs, options } = input;
  const { counts, failures, warnings } = input.tally;
  const seconds = durationMs / 1000;
  const status: JobReport['status'] = input.canceled
    ? 'canceled'
    : input.stoppedReason
      ? 'stopped'
      : counts.failed > 0 || (counts.failedRecords ?? 0) > 0
        ? 'completed_with_failures'
        : 'completed';
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    jobId: input.jobId,
    status,
    stoppedReason: input.stoppedReason,
    model: {
      name: options.model.name,
      sha256: options.model.sha256,
      format: options.model.format,
      kerasVersion: options.model.kerasVersion,
      backend: options.model.engine.backend,
    },
    source: options.sourceText ?? options.source.describe(),
    target: options.targetText ?? options.target.describe(),
    startedAt: input.started.toISOString(),
    finishedAt: new Date(input.started.getTime() + durationMs).toISOString(),
    durationMs: Math.round(durationMs),
    counts: { ...counts, total: counts.scored + counts.failed + counts.skipped },
    filesPerSecond: seconds > 0 ? round((counts.scored + counts.failed + counts.skipped) / seconds) : 0,
    recordsPerSecond: seconds > 0 ? round(counts.records / seconds) : 0,
    batchSize: input.batchSize,
    concurrency: input.concurrency,
    stageMs: roundedStages(input.stageMs),
    failures,
    warnings,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    reportKey: null,
    reportError: null,
  };
}

/** Each stage's milliseconds rounded to whole ones, in the same order. */
function roundedStages(stageMs: StageTimes): StageTimes {
  const rounded = { ...stageMs };
  for (const stage of Object.keys(rounded) as (keyof StageTimes)[])
    rounded[stage] = Math.round(rounded[stage]);
  return rounded;
}

/** Writes `_keras-batch/<job-id>/report.json` and `errors.jsonl` in the target; returns the report's key. */
export async function writeReport(target: BucketDriver, report: JobReport): Promise<string> {
  const dir = `${JOB_PREFIX}${report.jobId}/`;
  const key = `${dir}report.json`;
  const withKey = { ...report, reportKey: key };
  await target.put(
    `${dir}errors.jsonl`,
    report.failures.map((f) => JSON.stringify(f)).join('\n') + (report.failures.length ? '\n' : ''),
    {
      contentType: 'application/x-ndjson',
    },
  );
  await target.put(key, `${JSON.stringify(withKey, null, 2)}\n`, { contentType: 'application/json' });
  return key;
}

/**
 * Writes the report (see {@link writeReport}) and records where, or why it could not be written: a report
 * that cannot be written never hides the job's outcome.
 */
export async function tryWriteReport(target: BucketDriver, report: JobReport): Promise<void> {
  try {
    report.reportKey = await writeReport(target, report);
  } catch (error) {
    report.reportError = `the report could not be written in the target: ${errorMessage(error).replace(/^\[[a-z]+\] /, '')}`;
  }
}

/** A short human summary of a finished job. */
export function summarize(report: JobReport): string {
  const c = report.counts;
  const lines = [
    `job ${report.jobId}: ${report.status.replace(/_/g, ' ')}${report.stoppedReason ? ` (${report.stoppedReason})` : ''}`,
    `  inputs ${c.total}: scored ${c.scored}, failed ${c.failed}, skipped ${c.skipped}; records ${c.records}` +
      (c.failedRecords ? `; ${c.failedRecords} records failed in scored files` : '') +
      (c.nonFinite > 0 ? `; ${c.nonFinite} scored with NaN/Infinity outputs (null)` : ''),
    `  ${(report.durationMs / 1000).toFixed(2)} s, ${report.filesPerSecond} files/s, ${report.recordsPerSecond} records/s, peak memory ${report.peakRssMiB} MiB`,
    `  model ${report.model.name} (sha256 ${report.model.sha256.slice(0, 12)}…, ${report.model.backend})`,
    `  ${report.source} → ${report.target}`,
  ];
  if (report.reportKey) lines.push(`  report: ${report.reportKey} in the target`);
  if (report.reportError) lines.push(`  ${report.reportError}`);
  const shown = report.failures.slice(0, 10);
  if (shown.length) {
    lines.push('  failures:');
    for (const f of shown) lines.push(`    ${f.file}${f.line ? `:${f.line}` : ''} [${f.stage}] ${f.reason}`);
    if (report.failures.length > shown.length)
      lines.push(`    … and ${report.failures.length - shown.length} more (errors.jsonl)`);
  }
  const warned = report.warnings.slice(0, 10);
  if (warned.length) {
    lines.push('  warnings:');
    for (const w of warned) lines.push(`    ${w.file} ${w.reason}`);
    if (report.warnings.length > warned.length)
      lines.push(`    … and ${report.warnings.length - warned.length} more (report.json)`);
  }
  return lines.join('\n');
}
