import { availableParallelism } from 'node:os';
import { formatPrediction, nonFiniteRecords, outsideUnitInterval } from '../scoring/index.js';
import type { ObjectEntry } from '../storage/index.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { openFileStages } from './file-threads/index.js';
import { createInputFilter } from './input-filter.js';
import { newJobId } from './job-id.js';
import { JobTally } from './job-tally.js';
import { ResumeLedger } from './ledger.js';
import { readAhead } from './read-ahead.js';
import { RecordBatcher } from './record-batcher.js';
import { buildReport, writeReport } from './report.js';
import { Semaphore } from './semaphore.js';
import type { BatchJobOptions, JobReport, Stage, StageTimes } from './types.js';

export const BATCH_DEFAULTS = {
  batchSize: 256,
  concurrency: 16,
  maxFileBytes: 64 * 1024 * 1024,
  progressIntervalMs: 250,
  /** Worker threads reading and writing local folders (0: on the job's thread). */
  ioThreads: Math.min(4, availableParallelism()),
};

const codeOf = (error: unknown) => (error instanceof KerasBatchError ? error.code : 'ERROR');

/**
 * Runs one batch job: lists the source, and for every input gets, parses, validates, scores (in micro-batches
 * across files), formats and writes the seed's output under the same key in the target. Every input ends as
 * scored, failed (with stage and reason) or skipped (resume); a failed input never stops the job unless
 * `maxFailures` says so. Memory stays bounded: at most ~2 batches of files are in flight.
 */
export async function runBatchJob(options: BatchJobOptions): Promise<JobReport> {
  const batchSize = options.batchSize ?? BATCH_DEFAULTS.batchSize;
  const concurrency = options.concurrency ?? BATCH_DEFAULTS.concurrency;
  const maxFileBytes = options.maxFileBytes ?? BATCH_DEFAULTS.maxFileBytes;
  const jobId = options.jobId ?? newJobId();
  const { engine } = options.model;
  const started = new Date();
  const t0 = performance.now();

  const tally = new JobTally({
    jobId,
    maxFailures: options.maxFailures,
    onProgress: options.onProgress,
    progressIntervalMs: options.progressIntervalMs ?? BATCH_DEFAULTS.progressIntervalMs,
  });
  const { counts, failures, warnings } = tally;
  const stageMs: StageTimes = { list: 0, read: 0, parse: 0, score: 0, format: 0, write: 0 };
  const classify = createInputFilter(options.include, maxFileBytes);
  const io = new Semaphore(concurrency);
  // Enough files in flight to fill a batch while the previous one scores, and no more: memory stays flat.
  const maxInFlight = batchSize + 4 * concurrency;
  const inFlight = new Semaphore(maxInFlight);
  const batcher = new RecordBatcher(engine, batchSize, 'fill');
  const stages = openFileStages({
    source: options.source,
    target: options.target,
    spec: { specs: engine.inputs, maxFileBytes },
    io,
    threads: options.ioThreads ?? BATCH_DEFAULTS.ioThreads,
  });
  const ledger = new ResumeLedger(options.target, jobId, options.model.sha256);
  const done = options.resume ? await ResumeLedger.load(options.target, options.model.sha256) : null;

  let canceled = false;
  let active = 0;
  let atBatcher = 0;
  let warned = false;
  const tasks = new Set<Promise<void>>();

  const fail = (file: string, stage: Stage, error: unknown, code = codeOf(error)) =>
    tally.fail({ file, stage, code, reason: errorMessage(error).replace(/^\[[a-z]+\] /, '') });
  tally.start();

  /** When every file in flight waits on the batcher, no more records are coming soon: score what we have. */
  const maybeFlush = () => {
    if (active > 0 && atBatcher === active) batcher.flush();
  };

  /** Inputs whose storage request still failed after the driver's own retries: tried once more at the end. */
  const retryAtEnd: ObjectEntry[] = [];

  const processFile = async (entry: ObjectEntry, lastAttempt: boolean) => {
    const key = entry.key;
    let stage: Stage = 'read';
    if (tally.stoppedReason || canceled || options.signal?.aborted) {
      counts.listed -= 1; // abandoned before it started: as if never listed
      return;
    }
    try {
      if (done && done.get(key) === entry.etag && (await io.run(() => options.target.head(key)))) {
        counts.skipped += 1;
        return;
      }
      const input = await stages.read(entry);
      if (!input.ok) {
        stage = input.stage;
        throw input.error;
      }
      stageMs.read += input.readMs;
      stageMs.parse += input.parseMs;
      const { records, version } = input;
      stage = 'score';
      atBatcher += 1;
      const pending = batcher.add(records);
      maybeFlush();
      let outputs: Awaited<typeof pending>;
      try {
        outputs = await pending;
      } finally {
        atBatcher -= 1;
      }
      stage = 'format';
      const mark = performance.now();
      if (!warned && outsideUnitInterval(outputs)) {
        warned = true;
        options.onWarning?.(
          'some predictions lie outside [0, 1]; "probability" repeats them as Keras predict_proba did',
        );
      }
      const text = formatPrediction(key, outputs, 0, records.count);
      const nonFinite = nonFiniteRecords(outputs, 0, records.count);
      stageMs.format += performance.now() - mark;
      stage = 'write';
      const writeMs = await stages.write(key, text); // not `+= await`: that would add to a stale total
      stageMs.write += writeMs;
      ledger.record(key, version);
      counts.scored += 1;
      counts.records += records.count;
      if (nonFinite > 0) {
        const reason = `${nonFinite} of ${records.count} record(s) have NaN or Infinity outputs, written as null (their prediction_classes too)`;
        counts.nonFinite += 1;
        warnings.push({ file: key, code: 'NON_FINITE_OUTPUT', reason });
        options.onWarning?.(`${key}: ${reason}`);
      }
    } catch (error) {
      const transient =
        error instanceof KerasBatchError && error.retryable && (stage === 'read' || stage === 'write');
      if (transient && !lastAttempt) {
        retryAtEnd.push(entry);
        return;
      }
      const parseStage =
        stage === 'parse' && /WRONG_SHAPE|WRONG_INPUT_COUNT/.test(codeOf(error)) ? 'validate' : stage;
      fail(key, parseStage, error);
    }
  };

  const start = (entry: ObjectEntry, lastAttempt = false) => {
    active += 1;
    const task = processFile(entry, lastAttempt).finally(() => {
      active -= 1;
      inFlight.release();
      tasks.delete(task);
      maybeFlush();
    });
    tasks.add(task);
  };

  try {
    let mark = performance.now();
    for await (const page of readAhead(options.source.list())) {
      stageMs.list += performance.now() - mark;
      for (const entry of page) {
        if (options.signal?.aborted) canceled = true;
        if (canceled || tally.stoppedReason) break;
        const kind = classify(entry);
        if (kind.kind === 'ignore') continue;
        counts.listed += 1;
        if (kind.kind === 'fail') {
          fail(entry.key, 'list', new Error(kind.reason), kind.code);
          continue;
        }
        await inFlight.acquire();
        start(entry);
      }
      if (canceled || tally.stoppedReason) break;
      // Nothing more is coming until the next page arrives: let partial batches go.
      batcher.flush();
      mark = performance.now();
    }
    tally.listingDone = !canceled && !tally.stoppedReason;
    const settle = async () => {
      batcher.flush();
      while (tasks.size > 0) {
        await Promise.all([...tasks]);
        batcher.flush();
      }
      await batcher.drain();
    };
    await settle();
    // A store that was briefly unavailable gets one more chance per input, after everything else.
    const again = retryAtEnd.splice(0);
    for (const [i, entry] of again.entries()) {
      if (canceled || tally.stoppedReason || options.signal?.aborted) {
        counts.listed -= again.length - i; // never retried: as if never listed, like other abandoned inputs
        break;
      }
      await inFlight.acquire();
      start(entry, true);
    }
    await settle();
  } finally {
    tally.stop();
    await stages.close();
    await ledger.flush().catch(() => undefined);
  }
  stageMs.score = batcher.scoreMs;
  tally.checkLimit(true);
  tally.progress();
  const report = buildReport({
    jobId,
    options,
    started,
    durationMs: performance.now() - t0,
    counts,
    failures,
    warnings,
    stageMs,
    stoppedReason: canceled ? 'canceled' : tally.stoppedReason,
    canceled,
    batchSize,
    concurrency,
  });
  if (options.writeReport ?? true) report.reportKey = await writeReport(options.target, report);
  return report;
}
