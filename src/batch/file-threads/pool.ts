import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ImageOptions } from '../../scoring/formats/image.js';
import type { LinePage } from '../../scoring/formats/jsonl-page.js';
import type { LineBlock } from '../../scoring/formats/lines.js';
import type { ObjectEntry } from '../../storage/index.js';
import type { FileStages, ImageRead, InputRead, InputUnread } from '../file-stages.js';
import { KINDS, type Kind, type Pending, threadDeath, viaFallback } from './pending.js';
import { receiveError, type ThreadRequest, type ThreadResult, type ThreadSetup } from './protocol.js';

/** Requests per message: enough to make the hand-off cheap, few enough that replies stream back. */
const CHUNK = 32;
/**
 * Outputs longer than this are written on the job's thread: copying one into a thread's small heap could
 * exhaust it (the threads' heaps are kept small on purpose, see `startThread`).
 */
const MAX_THREAD_TEXT = 16 * 1024 ** 2;
/** A thread's heap when the job names none (the `io-thread-heap` default). */
const DEFAULT_HEAP = 96 * 1024 ** 2;

interface Lane {
  worker: Worker;
  outstanding: Map<number, Pending>;
  alive: boolean;
  /** Slot 0: the id of the request the thread is working on (0: none), written by the thread. */
  current: Int32Array;
  heapBytes: number;
  /** Stopped on purpose (`terminate`): its requests are not to blame. */
  stopping: boolean;
}

/**
 * Starts a worker thread from the compiled `thread.js`, or from `thread.ts` through tsx when run from source,
 * with a heap of `heapBytes` (the `io-thread-heap` limit): a file that needs more kills the thread, not the
 * process (see {@link FileThreadPool.lose}).
 */
function startThread(heapBytes: number, current: SharedArrayBuffer): Worker {
  const here = import.meta.url;
  // Small heaps: a thread's garbage (one read buffer per file) is collected often, so memory stays flat.
  const maxOldGenerationSizeMb = Math.max(4, Math.round(heapBytes / 1024 ** 2));
  const options = {
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb },
    workerData: { current },
  };
  if (!here.endsWith('.ts')) return new Worker(new URL('./thread.js', here), options);
  // From source: `--import tsx` in a thread's execArgv does not take on Node 20, so register tsx's hooks first.
  const tsxRoot = dirname(createRequire(here).resolve('tsx/package.json'));
  const api = JSON.stringify(pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href);
  const thread = JSON.stringify(new URL('./thread.ts', here).href);
  const code = `import(${api}).then((tsx) => { tsx.register(); return import(${thread}); })`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * The process's file threads, shared by every job it runs (a server's jobs, a queue worker's shards): a job
 * opens a context on each thread and sends its requests; threads start once, on first use, and do not keep
 * the process alive while idle. Requests made in one turn of the event loop travel in one message per thread,
 * to the thread with the least work. A thread that dies (out of memory, a bug) fails only the request it was
 * working on; its other requests go to the other threads, and it is replaced.
 */
class FileThreadPool {
  private readonly lanes: Lane[] = [];
  private readonly contexts = new Map<number, ThreadSetup>();
  private readonly queued = new Map<number, Record<Kind, [number, Pending][]>>();
  private nextId = 1;
  private nextCtx = 1;
  private scheduled = false;
  /** Threads wanted by the open jobs, and the heap each gets. */
  private wanted = 0;
  private heapBytes = DEFAULT_HEAP;

  /**
   * Opens a job's context on the threads running, and asks for up to `threads`, each with `heapBytes`: they start
   * (or replace lost ones) with the first request, so a job that sends none (one JSON Lines or CSV file, streamed
   * on its own thread) costs no thread.
   */
  open(setup: ThreadSetup, threads: number, heapBytes: number): number {
    const ctx = this.nextCtx++;
    this.contexts.set(ctx, setup);
    this.wanted = Math.max(threads, this.contexts.size === 1 ? 0 : this.wanted);
    this.heapBytes = heapBytes;
    for (const lane of this.lanes) if (lane.alive) this.post(lane, { kind: 'open', ctx, setup });
    return ctx;
  }

  close(ctx: number): void {
    this.contexts.delete(ctx);
    const queue = this.queued.get(ctx);
    this.queued.delete(ctx);
    for (const kind of KINDS) for (const [, pending] of queue?.[kind] ?? []) viaFallback(pending);
    for (const lane of this.alive()) this.post(lane, { kind: 'close', ctx });
  }

  /** Threads run, or start with the next request. */
  hasThreads(): boolean {
    return this.alive().length > 0 || (this.contexts.size > 0 && this.wanted > 0);
  }

  enqueue(ctx: number, pending: Pending): number {
    let queue = this.queued.get(ctx);
    if (!queue) {
      queue = { read: [], image: [], write: [], parse: [] };
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
    for (const lane of lanes) lane.stopping = true;
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
    for (const lane of lanes) this.lose(lane);
  }

  private alive(): Lane[] {
    return this.lanes.filter((lane) => lane.alive);
  }

  private addLane(): void {
    const shared = new SharedArrayBuffer(4);
    const lane: Lane = {
      worker: startThread(this.heapBytes, shared),
      outstanding: new Map(),
      alive: true,
      current: new Int32Array(shared),
      heapBytes: this.heapBytes,
      stopping: false,
    };
    lane.worker.on('message', (results: ThreadResult[]) => this.settle(lane, results));
    lane.worker.on('error', (error) => this.lose(lane, error));
    lane.worker.on('exit', (code) =>
      this.lose(lane, code === 0 ? undefined : new Error(`exit code ${code}`)),
    );
    // After the listeners: adding a 'message' listener refs the thread's port again.
    lane.worker.unref();
    this.lanes.push(lane);
    for (const [ctx, setup] of this.contexts) this.post(lane, { kind: 'open', ctx, setup });
  }

  private post(lane: Lane, request: ThreadRequest, moved: ArrayBuffer[] = []): void {
    lane.worker.postMessage(request, moved);
  }

  private flush(): void {
    this.scheduled = false;
    while (this.contexts.size > 0 && this.alive().length < this.wanted) this.addLane();
    for (const [ctx, queue] of this.queued) {
      for (const kind of KINDS) {
        const items = queue[kind].splice(0);
        // A block to parse is a large piece of work: one per message, so blocks spread over the threads.
        const chunk = kind === 'parse' ? 1 : CHUNK;
        for (let i = 0; i < items.length; i += chunk) this.send(ctx, kind, items.slice(i, i + chunk));
      }
    }
    this.queued.clear();
  }

  private send(ctx: number, kind: Kind, items: [number, Pending][]): void {
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
    if (kind === 'parse') {
      const parses = items.map(([id, p]) => [id, p as Extract<Pending, { kind: 'parse' }>] as const);
      this.post(
        lane,
        {
          kind,
          ctx,
          items: parses.map(([id, p]) => [id, p.block.bytes, p.block.before, p.idField]),
        },
        parses.map(([, p]) => p.block.bytes.buffer as ArrayBuffer),
      );
      return;
    }
    this.post(lane, requestOf(ctx, kind, items));
  }

  private settle(lane: Lane, results: ThreadResult[]): void {
    for (const result of results) {
      const pending = lane.outstanding.get(result.id);
      lane.outstanding.delete(result.id);
      if (!pending) continue;
      if (pending.kind === 'image') {
        if ('image' in result) pending.resolve(result.image);
        else if ('unread' in result) {
          const { stage, error } = result.unread;
          pending.resolve({ ok: false, stage, error: receiveError(error) });
        }
      } else if (pending.kind === 'read') {
        if ('read' in result) pending.resolve(result.read);
        else if ('unread' in result) {
          pending.resolve({
            ok: false,
            stage: result.unread.stage,
            error: receiveError(result.unread.error),
          });
        }
      } else if (pending.kind === 'parse') {
        if ('page' in result) pending.resolve(result.page);
        else if ('parseError' in result) pending.reject(receiveError(result.parseError));
      } else if ('writeMs' in result) pending.resolve(result.writeMs);
      else if ('writeError' in result) pending.reject(receiveError(result.writeError));
    }
    if (lane.outstanding.size === 0) lane.worker.unref();
  }

  /**
   * A thread that died. Stopped on purpose: its requests are done on their job's thread. Else (out of memory,
   * a bug) the request it was working on fails with why, the others are handed to the other threads, and a
   * new thread replaces it while jobs want threads — one input never takes the process, or the job, down.
   */
  private lose(lane: Lane, error?: unknown): void {
    if (!lane.alive) return;
    lane.alive = false;
    const left = [...lane.outstanding.entries()];
    lane.outstanding.clear();
    const culprit = lane.stopping ? 0 : Atomics.load(lane.current, 0);
    const blamed = left.find(([id]) => id === culprit)?.[1];
    if (!blamed) {
      for (const [, pending] of left) viaFallback(pending);
      return;
    }
    const death = threadDeath(blamed, error, lane.heapBytes);
    if (blamed.kind === 'read' || blamed.kind === 'image')
      blamed.resolve({ ok: false, stage: 'read', error: death });
    else blamed.reject(death);
    const index = this.lanes.indexOf(lane);
    if (index >= 0) this.lanes.splice(index, 1);
    if (this.contexts.size > 0 && this.alive().length < this.wanted) this.addLane();
    for (const [, pending] of left) {
      if (pending === blamed) continue;
      if (this.contexts.has(pending.ctx)) this.enqueue(pending.ctx, pending);
      else viaFallback(pending);
    }
  }
}

/** The message of a chunk of reads, image reads or writes. */
function requestOf(ctx: number, kind: Kind, items: [number, Pending][]): ThreadRequest {
  const of = <K extends Kind>(_: K) =>
    items.map(([id, p]) => [id, p as Extract<Pending, { kind: K }>] as const);
  if (kind === 'read')
    return { kind, ctx, items: of('read').map(([id, p]) => [id, p.entry.key, p.entry.etag]) };
  if (kind === 'image') {
    const images = of('image');
    return {
      kind,
      ctx,
      items: images.map(([id, p]) => [id, p.entry.key, p.entry.etag, p.options.resize, p.options.scale]),
    };
  }
  return { kind: 'write', ctx, items: of('write').map(([id, p]) => [id, p.key, p.text]) };
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
    heapBytes = DEFAULT_HEAP,
  ) {
    this.ctx = pool().open(setup, threads, heapBytes);
  }

  read(entry: ObjectEntry): Promise<InputRead | InputUnread> {
    if (!this.setup.source || !this.usable()) return this.fallback.read(entry);
    this.sentToThreads += 1;
    return new Promise((resolve) =>
      pool().enqueue(this.ctx, { kind: 'read', entry, resolve, fallback: this.fallback, ctx: this.ctx }),
    );
  }

  readImage(
    entry: Pick<ObjectEntry, 'key' | 'etag'>,
    options: ImageOptions,
  ): Promise<ImageRead | InputUnread> {
    if (!this.setup.source || !this.usable()) return this.fallback.readImage(entry, options);
    this.sentToThreads += 1;
    return new Promise((resolve) =>
      pool().enqueue(this.ctx, {
        kind: 'image',
        entry,
        options,
        resolve,
        fallback: this.fallback,
        ctx: this.ctx,
      }),
    );
  }

  write(key: string, text: string): Promise<number> {
    if (!this.setup.target || !this.usable() || text.length > MAX_THREAD_TEXT) {
      return this.fallback.write(key, text);
    }
    this.sentToThreads += 1;
    return new Promise((resolve, reject) =>
      pool().enqueue(this.ctx, {
        kind: 'write',
        key,
        text,
        resolve,
        reject,
        fallback: this.fallback,
        ctx: this.ctx,
      }),
    );
  }

  /** A streamed output is written from the job's thread (its pieces are made there). */
  writeStream(key: string, pieces: AsyncIterable<string>): Promise<number> {
    return this.fallback.writeStream(key, pieces);
  }

  parseLines(block: LineBlock, idField: string | undefined): Promise<LinePage> {
    if (!this.usable()) return this.fallback.parseLines(block, idField);
    this.sentToThreads += 1;
    return new Promise((resolve, reject) =>
      pool().enqueue(this.ctx, {
        kind: 'parse',
        block,
        idField,
        resolve,
        reject,
        fallback: this.fallback,
        ctx: this.ctx,
      }),
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
