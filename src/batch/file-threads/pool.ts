import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LinePage } from '../../scoring/formats/jsonl-page.js';
import type { LineBlock } from '../../scoring/formats/lines.js';
import type { ObjectEntry } from '../../storage/index.js';
import { KerasBatchError } from '../../util/errors.js';
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
  | {
      kind: 'parse';
      block: LineBlock;
      idField: string | undefined;
      resolve: (page: LinePage) => void;
      reject: (error: unknown) => void;
    }
);

type Kind = Pending['kind'];
const KINDS: readonly Kind[] = ['read', 'write', 'parse'];

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
  // tsx's loader given as `--import` in a worker's execArgv does not reach the worker's own imports on Node 20:
  // the thread imports `thread.ts` through tsx's API instead.
  const tsxRoot = dirname(createRequire(here).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const thread = new URL('./thread.ts', here).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(thread)}, ${JSON.stringify(here)}))`;
  return new Worker(code, { ...options, eval: true });
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
  private readonly queued = new Map<number, Record<Kind, [number, Pending][]>>();
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
    for (const kind of KINDS) for (const [, pending] of queue?.[kind] ?? []) viaFallback(pending);
    for (const lane of this.alive()) this.post(lane, { kind: 'close', ctx });
  }

  hasThreads(): boolean {
    return this.alive().length > 0;
  }

  enqueue(ctx: number, pending: Pending): number {
    let queue = this.queued.get(ctx);
    if (!queue) {
      queue = { read: [], write: [], parse: [] };
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

  private post(lane: Lane, request: ThreadRequest, moved: ArrayBuffer[] = []): void {
    lane.worker.postMessage(request, moved);
  }

  private flush(): void {
    this.scheduled = false;
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
      } else if (pending.kind === 'parse') {
        if ('page' in result) pending.resolve(result.page);
        else if ('parseError' in result) pending.reject(receiveError(result.parseError));
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
  else if (pending.kind === 'write')
    pending.fallback.write(pending.key, pending.text).then(pending.resolve, pending.reject);
  else if (pending.block.bytes.byteLength === 0 && pending.block.bytes.buffer.byteLength === 0) {
    // The block had been moved to the thread that stopped: it cannot be parsed again.
    pending.reject(
      new KerasBatchError(
        'batch',
        'THREAD_LOST',
        `a file thread stopped while parsing the lines after line ${pending.block.before}`,
      ),
    );
  } else pending.fallback.parseLines(pending.block, pending.idField).then(pending.resolve, pending.reject);
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

  parseLines(block: LineBlock, idField: string | undefined): Promise<LinePage> {
    if (!this.usable()) return this.fallback.parseLines(block, idField);
    this.sentToThreads += 1;
    return new Promise((resolve, reject) =>
      pool().enqueue(this.ctx, { kind: 'parse', block, idField, resolve, reject, fallback: this.fallback }),
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
