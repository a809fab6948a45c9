import type { BucketDriver } from '../storage/index.js';

/** Everything keras-batch keeps in a target lives under this prefix (reports, error lists, resume ledgers). */
export const JOB_PREFIX = '_keras-batch/';
const LEDGER_PREFIX = `${JOB_PREFIX}ledger/`;

interface LedgerHeader {
  model_sha256: string;
  job_id: string;
}

/** One ledger line: an output written whole (with its records), or an input quarantined (it crashed a process). */
interface LedgerLine {
  key: string;
  etag: string;
  records?: number;
  quarantined?: true;
}

/** What earlier runs' ledgers say: outputs written (key → input version, and records), inputs quarantined. */
export interface LedgerState {
  done: Map<string, string>;
  /** Records of each done input, when the ledger line has them. */
  records: Map<string, number>;
  /** Inputs that crashed a process while alone in flight (key → input version): never tried again. */
  quarantined: Map<string, string>;
}

/**
 * The resume ledger: which outputs a job wrote, from which input version (ETag, or size+mtime for folders),
 * with which model. Written in whole chunks (`_keras-batch/ledger/<job>-<n>.jsonl`) after the outputs they
 * list, so a crash can lose ledger lines but never claim an output that is not whole in the target.
 * An output written but not yet recorded is simply scored again on resume and replaced whole.
 */
export class ResumeLedger {
  private lines: string[] = [];
  private seq = 0;
  private lastFlush = performance.now();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: BucketDriver,
    private readonly jobId: string,
    private readonly modelSha256: string,
    private readonly chunkLines = 2000,
    private readonly chunkMs = 2000,
  ) {}

  /** Notes an output written whole (from `records` records); flushes a chunk when enough lines or time gathered. */
  record(key: string, etag: string, records?: number): void {
    this.lines.push(JSON.stringify({ key, etag, records }));
    if (this.lines.length >= this.chunkLines || performance.now() - this.lastFlush >= this.chunkMs)
      void this.flush().catch(() => undefined); // a chunk not written (target full) only costs rescoring
  }

  /** Notes an input quarantined: it crashed a process while alone in flight (written at the next flush). */
  quarantine(key: string, etag: string): void {
    this.lines.push(JSON.stringify({ key, etag, quarantined: true }));
  }

  /** Writes the gathered lines as one whole chunk. */
  flush(): Promise<void> {
    if (this.lines.length === 0) return this.flushing;
    const header: LedgerHeader = { model_sha256: this.modelSha256, job_id: this.jobId };
    const body = `${[JSON.stringify(header), ...this.lines].join('\n')}\n`;
    const key = `${LEDGER_PREFIX}${this.jobId}-${String(this.seq).padStart(6, '0')}.jsonl`;
    this.seq += 1;
    this.lines = [];
    this.lastFlush = performance.now();
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(() => this.target.put(key, body, { contentType: 'application/x-ndjson' }).then(() => undefined));
    return this.flushing;
  }

  /**
   * Reads every earlier ledger chunk made with this model (only the runs whose id starts with `runPrefix`, when
   * given): input key → input version it was scored from.
   */
  static async load(target: BucketDriver, modelSha256: string, runPrefix = ''): Promise<Map<string, string>> {
    return (await ResumeLedger.loadState(target, modelSha256, runPrefix)).done;
  }

  /** Like {@link load}, with the records of each done input and the inputs quarantined. */
  static async loadState(target: BucketDriver, modelSha256: string, runPrefix = ''): Promise<LedgerState> {
    const state: LedgerState = { done: new Map(), records: new Map(), quarantined: new Map() };
    for await (const page of target.list(`${LEDGER_PREFIX}${runPrefix}`)) {
      for (const entry of page) {
        if (!entry.key.endsWith('.jsonl')) continue;
        const text = new TextDecoder().decode((await target.get(entry.key)).body);
        const [first, ...rest] = text.split('\n');
        let header: LedgerHeader;
        try {
          header = JSON.parse(first) as LedgerHeader;
        } catch {
          continue;
        }
        if (header.model_sha256 !== modelSha256) continue;
        for (const line of rest) {
          if (line) addLine(state, line);
        }
      }
    }
    return state;
  }
}

function addLine(state: LedgerState, text: string): void {
  let line: LedgerLine;
  try {
    line = JSON.parse(text) as LedgerLine;
  } catch {
    return; // A chunk is written whole; an unreadable line can only come from outside editing: ignore it.
  }
  if (line.quarantined) {
    state.quarantined.set(line.key, line.etag);
    return;
  }
  state.done.set(line.key, line.etag);
  if (line.records !== undefined) state.records.set(line.key, line.records);
}
