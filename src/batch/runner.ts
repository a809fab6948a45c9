import { nonFiniteRecords, outsideUnitInterval } from '../scoring/index.js';
import type { ObjectEntry } from '../storage/index.js';
import { errorCode, errorMessage, KerasBatchError } from '../util/errors.js';
import { checkLimit, currentLimits, type Limits } from '../util/limits.js';
import { countInputs } from './count-ahead.js';
import { CrashGuard, crashedWorker } from './crash-guard.js';
import { BATCH_DEFAULTS } from './defaults.js';
import type { FileStages, InputRead } from './file-stages.js';
import { openFileStages } from './file-threads/index.js';
import {
  defaultInclude,
  type FileFormat,
  JobFormats,
  type StreamContext,
  scoreStreamFile,
  scoreZipFile,
} from './formats/index.js';
import { createInputFilter } from './input-filter.js';
import { newJobId } from './job-id.js';
import { JobTally } from './job-tally.js';
import { ResumeLedger } from './ledger.js';
import { readAhead } from './read-ahead.js';
import { RecordBatcher } from './record-batcher.js';
import { buildReport, tryWriteReport } from './report.js';
import { Semaphore } from './semaphore.js';
import type { BatchJobOptions, JobReport, Stage, StageTimes } from './types.js';
import { writePrediction } from './write-prediction.js';

/** One batch job's state while it runs: what is in flight, the tally, the stage times (see `runBatchJob`). */
export class BatchRun {
  private readonly batchSize: number;
  private readonly concurrency: number;
  readonly jobId: string;
  private readonly started = new Date();
  private readonly t0 = performance.now();
  private readonly tally: JobTally;
  private readonly stageMs: StageTimes = { list: 0, read: 0, parse: 0, score: 0, format: 0, write: 0 };
  private readonly classify: ReturnType<typeof createInputFilter>;
  private readonly io: Semaphore;
  private readonly inFlight: Semaphore;
  private readonly batcher: RecordBatcher;
  readonly stages: FileStages;
  private readonly ledger: ResumeLedger;
  private readonly formats: JobFormats;
  /** Record files streamed at once (each holds a few batches of records): memory stays bounded. */
  private readonly streaming: Semaphore;
  private readonly streamContext: StreamContext;
  /** Inputs scored by an earlier run (key → version), when resuming. */
  private done: Map<string, string> | null = null;
  private canceled = false;
  /** Files being processed, and how many of them wait on the batcher. */
  private active = 0;
  private atBatcher = 0;
  private warned = false;
  private readonly tasks = new Set<Promise<void>>();
  /** Inputs whose storage request still failed after the driver's own retries: tried once more at the end. */
  private readonly retryAtEnd: ObjectEntry[] = [];
  private readonly limits: Limits;
  /** Claims inputs before they start; on resume, isolates those in flight at a crash (see CrashGuard). */
  readonly guard: CrashGuard;
  /** Inputs in flight when an earlier run crashed: scored last, one at a time, alone. */
  private readonly suspects: ObjectEntry[] = [];

  constructor(private readonly options: BatchJobOptions) {
    this.batchSize = options.batchSize ?? BATCH_DEFAULTS.batchSize;
    this.concurrency = options.concurrency ?? BATCH_DEFAULTS.concurrency;
    const maxFileBytes = options.maxFileBytes ?? BATCH_DEFAULTS.maxFileBytes;
    this.limits = options.limits ?? currentLimits();
    const threads = options.ioThreads ?? Math.min(BATCH_DEFAULTS.ioThreads, this.limits.ioThreads);
    checkLimit(this.limits, 'ioThreads', threads, 'batch', 'the file-I/O threads asked for');
    this.jobId = options.jobId ?? newJobId();
    this.tally = new JobTally({
      jobId: this.jobId,
      maxFailures: options.maxFailures,
      onProgress: options.onProgress,
      onFailure: options.onFailure,
      progressIntervalMs: options.progressIntervalMs ?? BATCH_DEFAULTS.progressIntervalMs,
    });
    const { engine } = options.model;
    this.io = new Semaphore(this.concurrency);
    this.stages = openFileStages({
      source: options.source,
      target: options.target,
      spec: { specs: engine.inputs, maxFileBytes, maxRecords: this.limits.recordsPerFile },
      io: this.io,
      threads,
      threadHeapBytes: this.limits.ioThreadHeap,
      parse: options.parseOnThreads,
    });
    this.formats = new JobFormats(
      engine.inputs,
      engine.outputs,
      options.formats,
      options.parseOnThreads ? (block, idField) => this.stages.parseLines(block, idField) : undefined,
    );
    this.classify = createInputFilter(
      options.include ?? defaultInclude(options.formats?.inputFormat),
      maxFileBytes,
      (key) => this.formats.readWhole(key),
      options.onlyInclude ? 'ignore' : 'fail',
    );
    this.streaming = new Semaphore(this.concurrency);
    // Enough files in flight to fill a batch while the previous one scores, and no more: memory stays flat.
    this.inFlight = new Semaphore(this.batchSize + 4 * this.concurrency);
    this.batcher = new RecordBatcher(engine, this.batchSize, 'fill');
    this.streamContext = {
      source: options.source,
      target: options.target,
      specs: engine.inputs,
      maxFileBytes,
      recordLimit: options.formats?.recordLimit,
      batchSize: this.batchSize,
      submit: (records) => this.batcher.add(records),
      waitScored: (pending) => this.waitScored(pending),
      readImage: (entry, o) => this.stages.readImage(entry, o),
      writeWhole: (key, text) => this.stages.write(key, text),
      checkOutputs: (outputs, count) => this.checkOutputs(outputs, count),
    };
    this.ledger = new ResumeLedger(options.target, this.jobId, options.model.sha256);
    this.guard = new CrashGuard(options.target, this.jobId);
  }

  /** No more inputs are started: canceled, or too many failed. */
  private get stopping(): boolean {
    return this.canceled || this.tally.stoppedReason !== null;
  }

  async run(done: Map<string, string> | null): Promise<JobReport> {
    const { tally } = this;
    this.done = done;
    tally.start();
    const counting = new AbortController();
    if (this.options.countAhead !== false)
      void countInputs(this.options.source, this.classify, counting.signal).then((n) => {
        tally.expected = n;
      });
    let settled = false;
    try {
      await this.listAndStart();
      tally.listingDone = !this.stopping;
      await this.settle();
      await this.retryOnce();
      await this.settle();
      settled = await this.suspectsAlone();
    } finally {
      counting.abort();
      tally.stop();
      await this.stages.close();
      await this.ledger.flush().catch(() => undefined);
      await this.guard.close(settled);
    }
    this.stageMs.score = this.batcher.scoreMs;
    tally.checkLimit(true);
    tally.progress();
    return this.report();
  }

  /** Lists the source page by page and starts every input, at most `inFlight` at once. */
  private async listAndStart(): Promise<void> {
    const { options, tally } = this;
    let mark = performance.now();
    for await (const page of readAhead(options.source.list())) {
      this.stageMs.list += performance.now() - mark;
      for (const [index, entry] of page.entries()) {
        if (options.signal?.aborted) this.canceled = true;
        if (this.stopping) break;
        const kind = this.classify(entry);
        if (kind.kind === 'ignore') continue;
        tally.counts.listed += 1;
        if (kind.kind === 'fail') {
          this.fail(entry.key, 'list', new Error(kind.reason), kind.code);
          continue;
        }
        const crash = this.guard.classify(entry);
        if (crash === 'quarantined') {
          this.fail(entry.key, 'score', crashedWorker());
          this.ledger.quarantine(entry.key, entry.etag);
          continue;
        }
        if (crash === 'suspect') {
          this.suspects.push(entry);
          continue;
        }
        await this.guard.claim(page, index);
        await this.inFlight.acquire();
        this.start(entry);
      }
      if (this.stopping) break;
      // Nothing more is coming until the next page arrives: let partial batches go.
      this.batcher.flush();
      mark = performance.now();
    }
  }

  /** A store that was briefly unavailable gets one more chance per input, after everything else. */
  private async retryOnce(): Promise<void> {
    const again = this.retryAtEnd.splice(0);
    for (const [i, entry] of again.entries()) {
      if (this.stopping || this.options.signal?.aborted) {
        this.tally.counts.listed -= again.length - i; // never retried: as if never listed, like other abandoned inputs
        break;
      }
      await this.inFlight.acquire();
      this.start(entry, true);
    }
  }

  /** Inputs in flight at an earlier crash, each announced and scored alone; whether all were (not stopped). */
  private async suspectsAlone(): Promise<boolean> {
    if (this.suspects.length === 0) return !this.stopping;
    await this.ledger.flush();
    for (const [i, entry] of this.suspects.entries()) {
      if (this.stopping || this.options.signal?.aborted) {
        this.tally.counts.listed -= this.suspects.length - i; // never tried: as if never listed
        return false;
      }
      await this.guard.alone(entry);
      await this.inFlight.acquire();
      this.start(entry, true);
      await this.settle();
      await this.ledger.flush();
    }
    return true;
  }

  /** Waits for every file in flight, letting partial batches go. */
  private async settle(): Promise<void> {
    this.batcher.flush();
    while (this.tasks.size > 0) {
      await Promise.all([...this.tasks]);
      this.batcher.flush();
    }
    await this.batcher.drain();
  }

  private start(entry: ObjectEntry, lastAttempt = false): void {
    this.active += 1;
    const task = this.processFile(entry, lastAttempt).finally(() => {
      this.active -= 1;
      this.inFlight.release();
      this.tasks.delete(task);
      this.maybeFlush();
    });
    this.tasks.add(task);
  }

  /** When every file in flight waits on the batcher, no more records are coming soon: score what we have. */
  private maybeFlush(): void {
    if (this.active > 0 && this.atBatcher === this.active) this.batcher.flush();
  }

  private fail(file: string, stage: Stage, error: unknown, code = errorCode(error)): void {
    this.tally.fail({ file, stage, code, reason: errorMessage(error).replace(/^\[[a-z]+\] /, '') });
  }

  /** One input to its end: skipped, scored, failed, or put aside for one retry at the end. */
  private async processFile(entry: ObjectEntry, lastAttempt: boolean): Promise<void> {
    const key = entry.key;
    const at: { stage: Stage } = { stage: 'read' };
    if (this.stopping || this.options.signal?.aborted) {
      this.tally.counts.listed -= 1; // abandoned before it started: as if never listed
      return;
    }
    try {
      const done = this.done;
      const outputKey = this.formats.outputKey(key);
      if (
        done &&
        done.get(key) === entry.etag &&
        (outputKey === null || (await this.io.run(() => this.options.target.head(outputKey))))
      ) {
        this.tally.counts.skipped += 1;
        return;
      }
      const format = this.formats.formatOf(key);
      if (format !== 'json') {
        await this.scoreRecordFile(key, format, at);
        return;
      }
      const input = await this.stages.read(entry);
      if (!input.ok) {
        at.stage = input.stage;
        throw input.error;
      }
      await this.scoreAndWrite(key, input, at);
    } catch (error) {
      const transient =
        error instanceof KerasBatchError && error.retryable && (at.stage === 'read' || at.stage === 'write');
      if (transient && !lastAttempt) {
        this.retryAtEnd.push(entry);
        return;
      }
      const shape = /WRONG_SHAPE|WRONG_INPUT_COUNT/.test(errorCode(error));
      this.fail(key, at.stage === 'parse' && shape ? 'validate' : at.stage, error);
    }
  }

  /** Waits for records handed to the batcher, counted as waiting on it (when all files wait, it flushes). */
  private async waitScored<T>(pending: Promise<T>): Promise<T> {
    this.atBatcher += 1;
    this.maybeFlush();
    try {
      return await pending;
    } finally {
      this.atBatcher -= 1;
    }
  }

  /** Warns once per job about predictions outside [0, 1]; returns how many of `count` records are not finite. */
  private checkOutputs(outputs: Awaited<ReturnType<RecordBatcher['add']>>, count: number): number {
    if (!this.warned && outsideUnitInterval(outputs)) {
      this.warned = true;
      this.options.onWarning?.(
        'some predictions lie outside [0, 1]; "probability" repeats them as Keras predict_proba did',
      );
    }
    return nonFiniteRecords(outputs, 0, count);
  }

  /** A record file (JSON Lines, CSV, zip) streamed in and out, its bad records failing alone; or an image or NumPy file. */
  private async scoreRecordFile(key: string, format: FileFormat, at: { stage: Stage }): Promise<void> {
    const stream = this.formats.stream(format);
    const ctx = this.streamContext;
    // An image or NumPy file is read whole; a record file or zip waits for a stream slot, which is waiting on the
    // others' records: counted as at the batcher, so it flushes.
    let result = await this.formats.scoreWhole(ctx, format, key, at);
    if (!result) {
      await this.waitScored(this.streaming.acquire());
      try {
        result = stream
          ? await scoreStreamFile(ctx, stream, key, at)
          : await scoreZipFile(
              ctx,
              { specs: ctx.specs, maxEntryBytes: ctx.maxFileBytes, outputZip: this.formats.zipOutput },
              key,
              at,
            );
      } finally {
        this.streaming.release();
      }
    }
    this.ledger.record(key, result.version, result.records);
    this.tally.scored(key, result.records, result.nonFinite, this.options.onWarning);
    this.tally.recordFile(
      result.records,
      result.failed.map((f) => ({
        file: key,
        ...(f.entry === undefined ? { line: f.line } : { entry: f.entry }),
        stage: /WRONG_SHAPE|WRONG_INPUT_COUNT|SEVERAL_RECORDS/.test(f.code) ? 'validate' : 'parse',
        code: f.code,
        reason: f.reason,
      })),
    );
  }

  /** Scores an input read whole, formats and writes its output; `at.stage` follows where it is. */
  private async scoreAndWrite(key: string, input: InputRead, at: { stage: Stage }): Promise<void> {
    const { stageMs, options } = this;
    stageMs.read += input.readMs;
    stageMs.parse += input.parseMs;
    const { records, version } = input;
    at.stage = 'score';
    this.atBatcher += 1;
    const pending = this.batcher.add(records);
    this.maybeFlush();
    let outputs: Awaited<typeof pending>;
    try {
      outputs = await pending;
    } finally {
      this.atBatcher -= 1;
    }
    at.stage = 'format';
    const mark = performance.now();
    const nonFinite = this.checkOutputs(outputs, records.count);
    stageMs.format += performance.now() - mark;
    const ms = await writePrediction(this.stages, key, outputs, records.count, this.limits, at);
    stageMs.format += ms.format; // not `+= await`: that would add to a stale total
    stageMs.write += ms.write;
    this.ledger.record(key, version, records.count);
    this.tally.scored(key, records.count, nonFinite, options.onWarning);
  }

  private async report(): Promise<JobReport> {
    const { options, tally } = this;
    const report = buildReport({
      jobId: this.jobId,
      options,
      started: this.started,
      durationMs: performance.now() - this.t0,
      tally,
      stageMs: this.stageMs,
      stoppedReason: this.canceled ? 'canceled' : tally.stoppedReason,
      canceled: this.canceled,
      batchSize: this.batchSize,
      concurrency: this.concurrency,
    });
    if (options.writeReport ?? true) await tryWriteReport(options.target, report);
    return report;
  }
}
