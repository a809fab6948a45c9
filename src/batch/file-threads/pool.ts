import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ObjectEntry } from '../../storage/index.js';
import type { FileStages, InputRead, InputUnread } from '../file-stages.js';
import { receiveError, type ThreadRequest, type ThreadResult, type ThreadSetup } from './protocol.js';

/** Requests per message: enough to make the hand-off cheap, few enough that replies stream back. */
const CHUNK = 32;
/**
 * Outputs longer than this are written on the job's thread: copying one into a thread's small heap could
 * exhaust it (the threads' heaps are kept small on purpose, see `startThread`).
 */
const MAX_THREAD_TEXT = 16 * 1024 ** 2;

type Pending = { fallback: FileStages } & (
  | { kind: 'read'; entry: ObjectEntry; resolve: (outcome: InputRead | InputUnread) => void }
  | {
      kind: 'write';
      key: string;
      text: string;
      resolve: (ms: number) => void;
      reject: (error: unknown) => void;
    }
);

interface Lane {
  worker: Worker;
  outstanding: Map<number, Pending>;
  alive: boolean;
}

/** Starts a worker thread from the compiled `thread.js`, or from `thread.ts` through tsx when run from source. */
function startThread(): Worker {
  const here = import.meta.url;
  // Small heaps: a thread's garbage (one read buffer per file) is collected often, so memory stays flat.
  const options = { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 } };
  if (!here.endsWith('.ts')) return new Worker(new URL('./thread.js', here), options);
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return new Worker(new URL('./thread.ts', here), { ...options, execArgv: ['--import', tsx] });
}

/**
 * The process's file threads, shared by every job it runs (a server's jobs, a queue worker's shards): a job
 * opens a context on each thread and sends its requests; threads start once, on first use, and do not keep
 * the process alive while idle. Requests made in one turn of the event loop travel in one message per thread,
 * to the thread with the least work. The requests of a thread that dies go to their job's `fallback`.
 */
class FileThreadPool {
  private readonly lanes: Lane[] = [];
  private readonly contexts = new Map<number, ThreadSetup>();
  private readonly queued = new Map<number, { read: [number, Pending][]; write: [number, Pending][] }>();
  private nextId = 1;
  private nextCtx = 1;
  private scheduled = false;

  /** Opens a job's context, starting (or replacing lost) threads up to `threads`. */
  open(setup: ThreadSetup, threads: number): number {
    const ctx = this.nextCtx++;
    this.contexts.set(ctx, setup);
    for (const lane of this.lanes) if (lane.alive) this.post(lane, { kind: 'open', ctx, setup });
    while (this.alive().length < threads) this.addLane();
    return ctx;
  }

  close(ctx: number): void {
    this.contexts.delete(ctx);
    const queue = this.queued.get(ctx);
    this.queued.delete(ctx);
    for (const [, pending] of [...(queue?.read ?? []), ...(queue?.write ?? [])]) viaFallback(pending);
    for (const lane of this.alive()) this.post(lane, { kind: 'close', ctx });
  }

  hasThreads(): boolean {
    return this.alive().length > 0;
  }

  enqueue(ctx: number, pending: Pending): number {
    let queue = this.queued.get(ctx);
    if (!queue) {
      queue = { read: [], write: [] };
      this.queued.set(ctx, queue);
    }
    queue[pending.kind].push([this.nextId, pending]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return this.nextId++;
  }

  /** Stops every thread; their outstanding requests go to their jobs' fallbacks. */
  async terminate(): Promise<void> {
    const lanes = this.lanes.splice(0);
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
    for (const lane of lanes) this.lose(lane);
  }

  private alive(): Lane[] {
    return this.lanes.filter((lane) => lane.alive);
  }

  private addLane(): void {
    const lane: Lane = { worker: startThread(), outstanding: new Map(), alive: true };
    lane.worker.on('message', (results: ThreadResult[]) => this.settle(lane, results));
    lane.worker.on('error', () => this.lose(lane));
    lane.worker.on('exit', () => this.lose(lane));
    // After the listeners: adding a 'message' listener refs the thread's port again.
    lane.worker.unref();
    this.lanes.push(lane);
    for (const [ctx, setup] of this.contexts) this.post(lane, { kind: 'open', ctx, setup });
  }

  private post(lane: Lane, request: ThreadRequest): void {
    lane.worker.postMessage(request);
  }

  private flush(): void {
    this.scheduled = false;
    for (const [ctx, queue] of this.queued) {
      for (const kind of ['read', 'write'] as const) {
        const items = queue[kind].splice(0);
        for (let i = 0; i < items.length; i += CHUNK) this.send(ctx, kind, items.slice(i, i + CHUNK));
      }
    }
    this.queued.clear();
  }

  private send(ctx: number, kind: 'read' | 'write', items: [number, Pending][]): void {
    const lane = this.alive().reduce<Lane | null>(
      (best, l) => (!best || l.outstanding.size < best.outstanding.size ? l : best),
      null,
    );
    if (!lane) {
      for (const [, pending] of items) viaFallback(pending);
      return;
    }
    if (lane.outstanding.size === 0) lane.worker.ref(); // a job waits on this thread: keep the process up
    for (const [id, pending] of items) lane.outstanding.set(id, pending);
    const request: ThreadRequest =
      kind === 'read'
        ? { kind, ctx, items: items.map(([id, p]) => [id, readOf(p).key, readOf(p).etag]) }
        : { kind, ctx, items: items.map(([id, p]) => [id, writeOf(p).key, writeOf(p).text]) };
    this.post(lane, request);
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
    if (lane.outstanding.size === 0) lane.worker.unref();
  }

  /** A thread that died (a bug, out of memory, terminated): its requests are done on their job's thread. */
  private lose(lane: Lane): void {
    lane.alive = false;
    const left = [...lane.outstanding.values()];
    lane.outstanding.clear();
    for (const pending of left) viaFallback(pending);
  }
}

const readOf = (p: Pending) => (p as Extract<Pending, { kind: 'read' }>).entry;
const writeOf = (p: Pending) => p as Extract<Pending, { kind: 'write' }>;

function viaFallback(pending: Pending): void {
  if (pending.kind === 'read') void pending.fallback.read(pending.entry).then(pending.resolve);
  else pending.fallback.write(pending.key, pending.text).then(pending.resolve, pending.reject);
}

let shared: FileThreadPool | null = null;
const pool = () => {
  shared ??= new FileThreadPool();
  return shared;
};

/** Stops the process's file threads (they restart on the next job). Requests in flight finish on job threads. */
export async function stopFileThreads(): Promise<void> {
  await shared?.terminate();
}

/**
 * One job's file stages on the process's file threads: reading + parsing inputs and writing outputs of local
 * folders with plain blocking file-system calls, so the job's thread keeps only listing, batching and the
 * engine, and each file costs a few system calls instead of a dozen thread-pool round trips. A side that is
 * not a folder (S3), and every request once the job is closed or the threads are gone, goes to `fallback`.
 */
export class FileThreads implements FileStages {
  private readonly ctx: number;
  private closed = false;
  /** Requests handed to threads so far (the rest ran on the job's thread). */
  sentToThreads = 0;

  constructor(
    private readonly setup: ThreadSetup,
    threads: number,
    private readonly fallback: FileStages,
  ) {
    this.ctx = pool().open(setup, threads);
  }

  read(entry: ObjectEntry): Promise<InputRead | InputUnread> {
    if (!this.setup.source || !this.usable()) return this.fallback.read(entry);
    this.sentToThreads += 1;
    return new Promise((resolve) =>
      pool().enqueue(this.ctx, { kind: 'read', entry, resolve, fallback: this.fallback }),
    );
  }

  write(key: string, text: string): Promise<number> {
    if (!this.setup.target || !this.usable() || text.length > MAX_THREAD_TEXT) {
      return this.fallback.write(key, text);
    }
    this.sentToThreads += 1;
    return new Promise((resolve, reject) =>
      pool().enqueue(this.ctx, { kind: 'write', key, text, resolve, reject, fallback: this.fallback }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    pool().close(this.ctx);
  }

  private usable(): boolean {
    return !this.closed && pool().hasThreads();
  }
}
