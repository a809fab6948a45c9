import type { BucketDriver, ObjectEntry } from '../storage/index.js';
import { KerasBatchError } from '../util/errors.js';
import { JOB_PREFIX, type LedgerState } from './ledger.js';

const CLAIMS_PREFIX = `${JOB_PREFIX}claims/`;
/** Inputs claimed per claims object: one small write before every this many inputs start. */
const CLAIM_CHUNK = 128;

/** The failure of an input that crashed a process while it was the only one in flight. */
export const crashedWorker = () =>
  new KerasBatchError(
    'batch',
    'CRASHED_WORKER',
    'crashed the worker; skipped (the process died while this file was the only one in flight, so it is ' +
      'not tried again; fix or replace the file to score it)',
  );

/** How a listed input is handled by a run that resumes after a crash. */
export type CrashClass = 'normal' | 'suspect' | 'quarantined';

/**
 * Keeps one process crash from looping, and from failing innocent files. Before inputs start, the run claims
 * them in the target (`_keras-batch/claims/<run>-<n>.jsonl`, a chunk of keys at a time, written before any of
 * them starts). A run that ends (completed, stopped, canceled, shut down) deletes its claims; a process that
 * crashes leaves them. A resumed run reads the claims its crashed predecessors left (`scope`: their run ids'
 * prefix): the claimed inputs not recorded done in the ledger were in flight at the crash — suspects. They are
 * scored after the others, one at a time and alone, each announced first in `<run>-alone.json`; a run that
 * finds such an announcement knows which input was alone when the process died: that input is failed
 * "crashed the worker; skipped" and quarantined in the ledger, never tried again (while its version stands).
 */
export class CrashGuard {
  private seq = 0;
  private readonly written: string[] = [];
  private claimed = new Set<string>();
  private suspects = new Set<string>();
  private crashedAlone = new Map<string, string>();
  /** Claims objects of crashed runs this run took over. */
  private inherited: string[] = [];

  constructor(
    private readonly target: BucketDriver,
    private readonly runId: string,
  ) {}

  /** Reads the claims left by crashed runs whose ids start with `scope` (only when resuming). */
  async load(scope: string, ledger: LedgerState): Promise<void> {
    for await (const page of this.target.list(`${CLAIMS_PREFIX}${scope}`)) {
      for (const entry of page) {
        if (entry.key.startsWith(`${CLAIMS_PREFIX}${this.runId}-`)) continue;
        const text = new TextDecoder().decode((await this.target.get(entry.key)).body);
        this.inherited.push(entry.key);
        if (entry.key.endsWith('-alone.json')) {
          try {
            const alone = JSON.parse(text) as { key: string; etag: string };
            this.crashedAlone.set(alone.key, alone.etag);
          } catch {
            // written whole; an unreadable one comes from outside editing
          }
        } else for (const key of text.split('\n')) if (key) this.suspects.add(key);
      }
    }
    for (const key of this.suspects) if (ledger.done.has(key)) this.suspects.delete(key);
    for (const [key, etag] of ledger.quarantined) this.crashedAlone.set(key, etag);
  }

  /** Whether earlier runs left anything to take care of. */
  get resuming(): boolean {
    return this.suspects.size > 0 || this.crashedAlone.size > 0;
  }

  /** Quarantined (crashed a process alone, same version), suspect (in flight at a crash), or normal. */
  classify(entry: ObjectEntry): CrashClass {
    if (this.crashedAlone.get(entry.key) === entry.etag) return 'quarantined';
    return this.suspects.has(entry.key) ? 'suspect' : 'normal';
  }

  /**
   * Claims `page[index]` before it starts: when not yet claimed, writes a claims object for it and the next
   * inputs of the page (one write per {@link CLAIM_CHUNK} inputs).
   */
  async claim(page: readonly ObjectEntry[], index: number): Promise<void> {
    if (this.claimed.has(page[index].key)) return;
    const keys = page.slice(index, index + CLAIM_CHUNK).map((e) => e.key);
    this.claimed = new Set(keys);
    const name = `${CLAIMS_PREFIX}${this.runId}-${String(this.seq++).padStart(6, '0')}.jsonl`;
    this.written.push(name);
    // A claim that cannot be written (a target filling up) only loses the protection for these inputs.
    await this.target
      .put(name, `${keys.join('\n')}\n`, { contentType: 'application/x-ndjson' })
      .catch(() => undefined);
  }

  /** Announces that `entry` is about to be scored alone (a crash from now on is its doing). */
  async alone(entry: ObjectEntry): Promise<void> {
    const name = `${CLAIMS_PREFIX}${this.runId}-alone.json`;
    if (!this.written.includes(name)) this.written.push(name);
    await this.target.put(name, JSON.stringify({ key: entry.key, etag: entry.etag }), {
      contentType: 'application/json',
    });
  }

  /**
   * The run ended without a crash: its claims go, and those of the crashed runs it took over once every
   * suspect was dealt with (`settled`). Best effort: claims left behind only make a later resume more careful.
   */
  async close(settled: boolean): Promise<void> {
    const names = settled ? [...this.written, ...this.inherited] : this.written;
    for (let i = 0; i < names.length; i += 16)
      await Promise.all(
        names.slice(i, i + 16).map((name) => this.target.delete(name).catch(() => undefined)),
      );
    // A local target's claims folder goes with its last claim (another run's claims keep it), and with the
    // temp file of a claim a killed process was writing, once this run has dealt with the crashed runs.
    if (names.length > 0)
      await this.target
        .removeEmptyFolder?.(CLAIMS_PREFIX, { leftoverTemps: settled && this.inherited.length > 0 })
        .catch(() => undefined);
  }
}
