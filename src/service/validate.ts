/**
 * The checks before saving a batch deployment (`POST /api/v1/deployments/validate`): its settings, the overlap
 * rule, a source that exists and holds inputs, a writable target, and a dry run of the first inputs through the
 * model (shapes, a sample output, an estimate of the whole job). Nothing is saved; the target gets one probe
 * object, deleted at once (a local target folder that does not exist yet is only checked for where it would go).
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DryRunSummary, dryRun, type FormatOptions } from '../batch/index.js';
import type { ConnectionRow, ModelVersionRow } from '../repository/index.js';
import { type BucketDriver, formatLocation, type Location, locationsOverlap } from '../storage/index.js';
import { errorMessage } from '../util/errors.js';
import type { ConnectionPlace } from './connection-drivers.js';
import type { EngineCache } from './engine-cache.js';
import type { ValidationCheckView, ValidationResult } from './view-types.js';

/** A resolved place of a deployment being checked. */
export interface CheckedPlace {
  connection: ConnectionRow;
  place: ConnectionPlace;
  location: Location;
}

/** What the checks need: the deployment resolved (its settings checked), and how to open a place. */
export interface ValidateDeps {
  engines: EngineCache;
  open(place: CheckedPlace, create: boolean): BucketDriver;
}

export interface ResolvedDeployment {
  version: ModelVersionRow;
  source: CheckedPlace;
  target: CheckedPlace;
  formats: FormatOptions;
  batchSize?: number;
}

/** Entries listed at most by the dry run's count (a huge source): the count is then a lower bound. */
const MAX_LISTED = 200_000;

const clean = (text: string) => text.replace(/^\[[a-z]+\] /, '').replace(/ \(--[a-z-]+\)/g, '');
const where = (l: Location) => (l.kind === 'fs' ? `the folder ${l.path}` : formatLocation(l));

/** The overlap rule's answer in the UI's words, or null when the places are apart. */
export function overlapMessage(source: Location, target: Location): string | null {
  if (!locationsOverlap(source, target)) return null;
  return `The target ${formatLocation(target)} overlaps the source ${formatLocation(source)}: outputs would be read back as inputs. Choose a target outside the source.`;
}

/** Runs every check; a check that cannot run (an earlier one failed) is `skip`. */
export async function validateDeployment(
  deps: ValidateDeps,
  resolved: ResolvedDeployment,
  sample: number,
): Promise<ValidationResult> {
  const { source, target } = resolved;
  const checks: ValidationCheckView[] = [
    { id: 'settings', label: 'Settings', verdict: 'pass', message: 'The name, model and places are valid.' },
  ];
  const add = (id: string, label: string, verdict: ValidationCheckView['verdict'], message: string) =>
    checks.push({ id, label, verdict, message });
  const overlap = overlapMessage(source.location, target.location);
  add(
    'overlap',
    'Source and target apart',
    overlap ? 'fail' : 'pass',
    overlap ?? 'The target is outside the source.',
  );
  add('target', 'Target writable', ...(await checkTarget(deps, target)));
  let summary: DryRunSummary | null = null;
  let sourceDriver: BucketDriver | null = null;
  try {
    sourceDriver = deps.open(source, false);
    summary = await runDryRun(deps, resolved, sourceDriver, sample);
  } catch (error) {
    add('source', 'Source has inputs', 'fail', await sourceProblem(source.location, error));
  } finally {
    await sourceDriver?.close().catch(() => undefined);
  }
  if (summary) describe(summary, resolved, add);
  else add('shape', 'Inputs fit the model', 'skip', 'Not checked: the source could not be read.');
  const guess = summary ? estimate(summary) : null;
  if (guess)
    add(
      'estimate',
      'Estimate',
      'pass',
      `The whole job: about ${seconds(guess.seconds)} (${seconds(guess.cpu_seconds)} of CPU) at ${Math.round(guess.records_per_second).toLocaleString('en-US')} records/s measured on the sample; a rough guide.`,
    );
  const ok = checks.every((c) => c.verdict !== 'fail');
  return {
    ok,
    checks: order(checks),
    inputs: summary
      ? {
          count: summary.inputs,
          complete: summary.complete,
          by_format: Object.entries(summary.byFormat).map(([format, v]) => ({ format, ...v })),
        }
      : null,
    sample: summary?.sample ?? null,
    estimate: guess,
  };
}

const seconds = (s: number) =>
  s < 90
    ? `${Math.max(1, Math.round(s))} s`
    : s < 5400
      ? `${Math.round(s / 60)} min`
      : `${(s / 3600).toFixed(1)} h`;

const ORDER = ['settings', 'overlap', 'source', 'target', 'shape', 'estimate'];
const order = (checks: ValidationCheckView[]) =>
  [...checks].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));

async function runDryRun(
  deps: ValidateDeps,
  r: ResolvedDeployment,
  source: BucketDriver,
  n: number,
): Promise<DryRunSummary> {
  const lease = await deps.engines.acquire(r.version);
  try {
    const model = lease.model;
    return await dryRun(
      {
        model: { engine: model.engine, sha256: model.sha256, name: r.version.file_name },
        source,
        target: { describe: () => formatLocation(r.target.location) } as BucketDriver,
        formats: r.formats,
        batchSize: r.batchSize,
        countAhead: false,
      },
      n,
      MAX_LISTED,
    );
  } finally {
    lease.release();
  }
}

/** Why a source could not be listed, in the UI's words. */
export async function sourceProblem(location: Location, error: unknown): Promise<string> {
  if (location.kind === 'fs') {
    const exists = await stat(location.path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) return `The source folder ${location.path} does not exist.`;
  }
  return `The source ${formatLocation(location)} cannot be read: ${clean(errorMessage(error))}`;
}

type Verdict = [ValidationCheckView['verdict'], string];

/** A probe object written and deleted (S3, an existing folder); a folder to create: its nearest parent writable. */
async function checkTarget(deps: ValidateDeps, target: CheckedPlace): Promise<Verdict> {
  const loc = target.location;
  if (loc.kind === 'fs') {
    const existing = await nearestExisting(loc.path);
    const isDir = await stat(existing).then(
      (st) => st.isDirectory(),
      () => false,
    );
    if (!isDir) return ['fail', `The target ${loc.path} cannot be a folder: ${existing} is a file.`];
    if (existing !== loc.path) {
      const writable = await access(existing, constants.W_OK).then(
        () => true,
        () => false,
      );
      return writable
        ? ['pass', `The folder ${loc.path} does not exist yet: the job will create it.`]
        : [
            'fail',
            `The folder ${loc.path} does not exist and cannot be created: ${existing} is not writable.`,
          ];
    }
  }
  let driver: BucketDriver | null = null;
  const key = `_keras-batch/write-check-${randomUUID()}`;
  try {
    driver = deps.open(target, false);
    await driver.put(key, 'write check');
    await driver.delete(key);
    return ['pass', `${where(loc)[0].toUpperCase()}${where(loc).slice(1)} is writable.`];
  } catch (error) {
    await driver?.delete(key).catch(() => undefined);
    return ['fail', `The target ${formatLocation(loc)} is not writable: ${clean(errorMessage(error))}`];
  } finally {
    await driver?.close().catch(() => undefined);
  }
}

async function nearestExisting(path: string): Promise<string> {
  let at = path;
  for (;;) {
    if (
      await stat(at).then(
        () => true,
        () => false,
      )
    )
      return at;
    const up = dirname(at);
    if (up === at) return at;
    at = up;
  }
}

/** The source and shape checks from the dry run's summary. */
function describe(
  s: DryRunSummary,
  r: ResolvedDeployment,
  add: (id: string, label: string, verdict: ValidationCheckView['verdict'], message: string) => void,
): void {
  const formats = Object.entries(s.byFormat)
    .map(([f, v]) => `${v.files.toLocaleString('en-US')} ${f}`)
    .join(', ');
  const count = `${s.inputs.toLocaleString('en-US')}${s.complete ? '' : '+'}`;
  if (s.inputs === 0) {
    add(
      'source',
      'Source has inputs',
      'fail',
      `No input files in ${where(r.source.location)}${r.formats.inputFormat && r.formats.inputFormat !== 'auto' ? ` (input format ${r.formats.inputFormat})` : ''}: check the bucket, folder and prefix.`,
    );
    add('shape', 'Inputs fit the model', 'skip', 'Not checked: there are no inputs.');
    return;
  }
  add('source', 'Source has inputs', 'pass', `${count} input file(s) found (${formats}).`);
  const rep = s.report;
  const shape = r.version.inputs;
  const failed = rep.failures.length;
  const first = rep.failures[0];
  const why = first ? `${first.file}${first.line ? ` line ${first.line}` : ''}: ${clean(first.reason)}` : '';
  if (rep.counts.records === 0 && failed > 0)
    add(
      'shape',
      'Inputs fit the model',
      'fail',
      `None of the first ${s.sampled} input(s) could be scored. ${why}`,
    );
  else if (failed > 0)
    add(
      'shape',
      'Inputs fit the model',
      'warn',
      `${failed} of the first ${s.sampled} input(s) or their records failed and would fail in the job. ${why}`,
    );
  else
    add(
      'shape',
      'Inputs fit the model',
      'pass',
      `The first ${s.sampled} input(s) fit the model's input ${modelShape(shape)}: ${rep.counts.records} record(s) scored.`,
    );
}

const modelShape = (inputs: string) => {
  try {
    const list = JSON.parse(inputs) as { shape: (number | null)[] }[];
    return list.map((i) => `[${i.shape.map((d) => d ?? 'any').join(', ')}]`).join(', ');
  } catch {
    return '';
  }
};

/** The whole job's time and CPU from the dry run's measured rate (one record file's records assumed alike). */
function estimate(s: DryRunSummary): ValidationResult['estimate'] {
  const r = s.report;
  if (r.counts.records === 0) return null;
  const seconds = r.durationMs / 1000;
  const perRecord = seconds / r.counts.records;
  const cpuPerRecord = s.cpuSeconds / r.counts.records;
  const scoredFiles = Math.max(1, r.counts.scored);
  const records = s.inputs * (r.counts.records / scoredFiles);
  return {
    seconds: Math.round(records * perRecord * 1000) / 1000,
    cpu_seconds: Math.round(records * cpuPerRecord * 1000) / 1000,
    records_per_second: Math.round((r.counts.records / seconds) * 10) / 10,
    note: `From ${r.counts.records} record(s) of ${s.sampled} sampled input(s), scored one small batch at a time: a rough guide (the job batches and uses every core, so it is usually faster).`,
  };
}
