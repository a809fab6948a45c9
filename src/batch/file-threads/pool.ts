import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ObjectEntry } from '../../storage/index.js';
import type { FileStages, InputRead, InputUnread } from '../file-stages.js';
import { receiveError, type ThreadRequest, type ThreadResult, type ThreadSetup } from './protocol.js';

/** Requests per message: enough to make the hand-off cheap, few enough that replies stream back. */
const CHUNK = 32;

type Pending =
  | { kind: 'read'; entry: ObjectEntry; resolve: (outcome: InputRead | InputUnread) => void }
  | {
      kind: 'write';
      key: string;
      text: string;
      resolve: (ms: number) => void;
      reject: (error: unknown) => void;
    };

interface Lane {
  worker: Worker;
  outstanding: Map<number, Pending>;
  alive: boolean;
}

/** Starts a worker thread from the compiled `thread.js`, or from `thread.ts` through tsx when run from source. */
function startThread(setup: ThreadSetup): Worker {
  const here = import.meta.url;
  // Small heaps: a thread's garbage (one read buffer per file) is collected often, so memory stays flat.
  const options = {
    workerData: setup,
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
  };
  if (!here.endsWith('.ts')) return new Worker(new URL('./thread.js', here), options);
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return new Worker(new URL('./thread.ts', here), { ...options, execArgv: ['--import', tsx] });
}

/**
 * Spreads reading + parsing inputs and writing outputs of local folders over worker threads that make plain
 * blocking file-system calls: the job's thread keeps only listing, batching and the engine, and each file
 * costs a few system calls instead of a dozen thread-pool round trips. Requests made in one turn of the event
 * loop travel in one message per thread. A side without a folder (S3), and any request of a thread that dies,
 * goes to `fallback` (the in-thread stages), so nothing is lost.
 */
export class FileThreads implements FileStages {
  private readonly lanes: Lane[] = [];
  private readonly queued: { read: [number, Pending][]; write: [number, Pending][] } = {
    read: [],
    write: [],
  };
  private nextId = 1;
  private scheduled = false;
  /** Requests handed to threads so far (the rest ran on the job's thread). */
  sentToThreads = 0;

  constructor(
    private readonly setup: ThreadSetup,
    threads: number,
    private readonly fallback: FileStages,
  ) {
    for (let i = 0; i < threads; i += 1) {
      const lane: Lane = { worker: startThread(setup), outstanding: new Map(), alive: true };
      lane.worker.on('message', (results: ThreadResult[]) => this.settle(lane, results));
      lane.worker.on('error', () => this.lose(lane));
      lane.worker.on('exit', () => this.lose(lane));
      this.lanes.push(lane);
    }
  }

  read(entry: ObjectEntry): Promise<InputRead | InputUnread> {
    if (!this.setup.source || !this.anyAlive()) return this.fallback.read(entry);
    return new Promise((resolve) => this.enqueue({ kind: 'read', entry, resolve }));
  }

  write(key: string, text: string): Promise<number> {
    if (!this.setup.target || !this.anyAlive()) return this.fallback.write(key, text);
    return new Promise((resolve, reject) => this.enqueue({ kind: 'write', key, text, resolve, reject }));
  }

  async close(): Promise<void> {
    const lanes = this.lanes.splice(0);
    for (const lane of lanes) lane.alive = false;
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }

  private anyAlive(): boolean {
    return this.lanes.some((lane) => lane.alive);
  }

  private enqueue(pending: Pending): void {
    this.queued[pending.kind].push([this.nextId++, pending]);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    for (const kind of ['read', 'write'] as const) {
      const items = this.queued[kind].splice(0);
      for (let i = 0; i < items.length; i += CHUNK) this.send(kind, items.slice(i, i + CHUNK));
    }
  }

  private send(kind: 'read' | 'write', items: [number, Pending][]): void {
    const lane = this.lanes
      .filter((l) => l.alive)
      .reduce<Lane | null>(
        (best, l) => (!best || l.outstanding.size < best.outstanding.size ? l : best),
        null,
      );
    if (!lane) {
      for (const [, pending] of items) this.viaFallback(pending);
      return;
    }
    for (const [id, pending] of items) lane.outstanding.set(id, pending);
    this.sentToThreads += items.length;
    const request: ThreadRequest =
      kind === 'read'
        ? {
            kind,
            items: items.map(([id, p]) => [
              id,
              (p as { entry: ObjectEntry }).entry.key,
              (p as { entry: ObjectEntry }).entry.etag,
            ]),
          }
        : {
            kind,
            items: items.map(([id, p]) => [id, (p as { key: string }).key, (p as { text: string }).text]),
          };
    lane.worker.postMessage(request);
  }

  private settle(lane: Lane, results: ThreadResult[]): void {
    for (const result of results) {
      const pending = lane.outstanding.get(result.id);
      lane.outstanding.delete(result.id);
      if (!pending) continue;
      if (pending.kind === 'read') {
        if ('read' in result) pending.resolve(result.read);
        else if ('unread' in result) {
          pending.resolve({
            ok: false,
            stage: result.unread.stage,
            error: receiveError(result.unread.error),
          });
        }
      } else if ('writeMs' in result) pending.resolve(result.writeMs);
      else if ('writeError' in result) pending.reject(receiveError(result.writeError));
    }
  }

  /** A thread that died (a bug, or out of memory): its requests are done here instead. */
  private lose(lane: Lane): void {
    if (!lane.alive && lane.outstanding.size === 0) return;
    lane.alive = false;
    const left = [...lane.outstanding.values()];
    lane.outstanding.clear();
    for (const pending of left) this.viaFallback(pending);
  }

  private viaFallback(pending: Pending): void {
    if (pending.kind === 'read') void this.fallback.read(pending.entry).then(pending.resolve);
    else this.fallback.write(pending.key, pending.text).then(pending.resolve, pending.reject);
  }
}
