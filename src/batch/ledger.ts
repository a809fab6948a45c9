import type { BucketDriver } from '../storage/index.js';

/** Everything keras-batch keeps in a target lives under this prefix (reports, error lists, resume ledgers). */
export const JOB_PREFIX = '_keras-batch/';
const LEDGER_PREFIX = `${JOB_PREFIX}ledger/`;

interface LedgerHeader {
  model_sha256: string;
  job_id: string;
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

  /** Notes an output written whole; flushes a chunk when enough lines or time have gathered. */
  record(key: string, etag: string): void {
    this.lines.push(JSON.stringify({ key, etag }));
    if (this.lines.length >= this.chunkLines || performance.now() - this.lastFlush >= this.chunkMs)
      void this.flush();
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
    this.flushing = this.flushing.then(() =>
      this.target.put(key, body, { contentType: 'application/x-ndjson' }).then(() => undefined),
    );
    return this.flushing;
  }

  /**
   * Reads every earlier ledger chunk made with this model (only the runs whose id starts with `runPrefix`, when
   * given): input key → input version it was scored from.
   */
  static async load(target: BucketDriver, modelSha256: string, runPrefix = ''): Promise<Map<string, string>> {
    const done = new Map<string, string>();
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
          if (!line) continue;
          try {
            const { key, etag } = JSON.parse(line) as { key: string; etag: string };
            done.set(key, etag);
          } catch {
            // A chunk is written whole; an unreadable line can only come from outside editing: ignore it.
          }
        }
      }
    }
    return done;
  }
}
