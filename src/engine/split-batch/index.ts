import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { sizeOf } from '../../keras/tensor-ops.js';
import { EngineError } from '../../util/errors.js';
import { startModuleWorker } from '../module-worker.js';
import type { Tensor } from '../types.js';
import { CTL, type HelperSetup, type PortMessage, readDims, spinWhile, writeDims } from './protocol.js';

const counts = { engines: 0, helpers: 0, splitBatches: 0 };

/**
 * Engines that split batches, helper threads running and batches split so far, in this thread (for tests and
 * diagnostics).
 */
export function batchSplitters(): { engines: number; helpers: number; splitBatches: number } {
  return { ...counts };
}

/** How long the engine's thread spins for the helper's half before it waits without burning a core. */
const SPIN_MS = 2;
/**
 * A batch is split only when a whole one takes at least this long on one thread: below, waking the helper and
 * copying the halves cost more than they save (a small MLP's batch takes a few µs).
 */
export const MIN_SPLIT_MS = 0.25;
/** While waiting asleep, how often the engine's thread looks whether the helper died. */
const CHECK_MS = 100;
/**
 * The work a record holds is the least time per record over the last `TIMED_RUNS` runs, decided after
 * `MEASURED_RUNS` of them: a run the OS preempted or a garbage collection paused takes several times longer,
 * and one such run must not make a small model's batches look worth splitting.
 */
const TIMED_RUNS = 8;
const MEASURED_RUNS = 3;

/**
 * Runs each batch as two halves at once: the first on the caller's session (in the caller's thread), the
 * second on a helper thread's session of the same model. For models of many small ops (a small transformer:
 * 1.4x with two intra-op threads, ~1.75x split), where onnxruntime's per-op hand-offs between its threads cost
 * as much as the ops. The halves meet through shared memory (`./protocol.ts`).
 */
export class BatchSplitter {
  private readonly control = new Int32Array(new SharedArrayBuffer(CTL.size * 4));
  private input = new Float32Array(new SharedArrayBuffer(0));
  private output: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private sequence = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private helper: { worker: Worker; port: MessagePort; exited: Promise<void> } | null = null;
  /** The helper's start, once begun; `ready` once its session can take halves. */
  private starting: Promise<void> | null = null;
  private ready = false;
  /** Why the helper cannot take halves (it failed to start or died): batches then run whole in this thread. */
  private gone: Error | null = null;

  /** Milliseconds per record of this thread's last runs, after its first (`TIMED_RUNS` at most). */
  private readonly msPerRecord: number[] = [];
  private runs = 0;

  /**
   * `model`: the ONNX bytes; the helper thread starts with the first batch to split. `minSplitMs`: the least
   * work a batch must hold to be split (`MIN_SPLIT_MS`; 0 splits every batch of two records or more).
   */
  constructor(
    private readonly model: Uint8Array,
    private readonly intraOpThreads: number,
    private readonly minSplitMs = MIN_SPLIT_MS,
  ) {
    counts.engines += 1;
  }

  /** Starts the helper thread with its own session (`intraOpThreads` threads); sets `gone` if it cannot. */
  private async start(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const setup: HelperSetup = {
      model: this.model,
      intraOpThreads: this.intraOpThreads,
      control: this.control.buffer as SharedArrayBuffer,
      port: port2,
    };
    const worker = startModuleWorker(import.meta.url, 'helper', setup, [port2]);
    counts.helpers += 1;
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        counts.helpers -= 1;
        this.gone ??= new Error(`the helper thread exited (code ${code})`);
        resolve();
      }),
    );
    worker.on('error', (error) => {
      this.gone ??= error;
    });
    // Neither keeps the process alive: an engine not disposed must not hold up a CLI's exit.
    worker.unref();
    port1.unref();
    this.helper = { worker, port: port1, exited };
    await this.until(CTL.ready, 0, 0);
    if (Atomics.load(this.control, CTL.ready) !== 1) {
      this.gone ??= new Error(`the helper thread has no session: ${this.drain() ?? 'unknown'}`);
      await worker.terminate();
      return;
    }
    this.ready = true;
  }

  /** Scores `inputs` (one tensor per model input, batch first), `runOwn` scoring a part in this thread. */
  run(inputs: Tensor[], runOwn: (part: Tensor[]) => Promise<Tensor[]>): Promise<Tensor[]> {
    const job = this.queue.then(() => this.split(inputs, runOwn));
    this.queue = job.catch(() => undefined);
    return job;
  }

  async dispose(): Promise<void> {
    // Ending the helper inside onnxruntime's run aborts the process: it ends only once no half is running.
    await this.queue;
    counts.engines -= 1;
    if (!this.helper) return;
    Atomics.store(this.control, CTL.request, -1);
    Atomics.notify(this.control, CTL.request);
    await this.helper.worker.terminate();
    await this.helper.exited;
    await this.starting;
    this.helper.port.close();
  }

  private async split(inputs: Tensor[], runOwn: (part: Tensor[]) => Promise<Tensor[]>): Promise<Tensor[]> {
    const batch = inputs[0]?.dims[0] ?? 0;
    // The first batches run whole, to measure the work a record holds (unless every batch is to be split).
    const unmeasured = this.msPerRecord.length < MEASURED_RUNS && this.minSplitMs > 0;
    const small = Math.min(...this.msPerRecord, Number.POSITIVE_INFINITY) * batch < this.minSplitMs;
    if (batch < 2 || unmeasured || small) return this.timed(inputs, runOwn);
    if (!this.ready) {
      this.starting ??= this.start().catch((error: unknown) => {
        this.gone ??= error instanceof Error ? error : new Error(String(error));
      });
      // Starting a thread and a session takes ~0.2 s, a large share of a short job: batches run whole here
      // meanwhile, unless every batch is to be split (`KERAS_BATCH_SPLIT=1`).
      if (this.minSplitMs > 0) return this.timed(inputs, runOwn);
      await this.starting;
    }
    const helper = this.helper;
    if (!helper || !this.ready || this.helperGone()) return runOwn(inputs);
    const own = Math.ceil(batch / 2);
    const heads = recordRange(inputs, 0, own);
    const tails = recordRange(inputs, own, batch);
    if (
      !writeDims(
        this.control,
        CTL.inputDims,
        tails.map((t) => t.dims),
      )
    )
      return runOwn(inputs);
    const needed = tails.reduce((n, t) => n + t.data.length, 0);
    if (needed > this.input.length) {
      this.input = new Float32Array(new SharedArrayBuffer(needed * 2 * 4));
      helper.port.postMessage({ buffer: this.input.buffer } satisfies PortMessage);
    }
    let at = 0;
    for (const t of tails) {
      this.input.set(t.data, at);
      at += t.data.length;
    }
    const sequence = ++this.sequence;
    counts.splitBatches += 1;
    Atomics.store(this.control, CTL.request, sequence);
    Atomics.notify(this.control, CTL.request);
    let mine: Tensor[];
    try {
      mine = await this.timed(heads, runOwn);
    } finally {
      // Whatever happened here, the helper's half ends before the next request reuses the buffers.
      await this.until(CTL.done, sequence - 1);
    }
    const failure = this.drain();
    if (this.helperGone()) {
      // The helper died with this batch's half: this thread scores it too, and the batch stays whole.
      return concatBatches(mine, await runOwn(tails));
    }
    if (Atomics.load(this.control, CTL.status) !== 0) {
      throw new EngineError('ENGINE_RUN_FAILED', failure ?? 'the helper thread failed');
    }
    return concatBatches(mine, this.received());
  }

  /** Runs `part` on this thread's session, noting its time per record. */
  private async timed(part: Tensor[], runOwn: (part: Tensor[]) => Promise<Tensor[]>): Promise<Tensor[]> {
    const start = performance.now();
    const out = await runOwn(part);
    const records = part[0]?.dims[0] ?? 0;
    // A session's first run allocates its buffers and takes several times longer: it measures nothing.
    this.runs += 1;
    if (records > 0 && this.runs > 1) {
      this.msPerRecord.push((performance.now() - start) / records);
      if (this.msPerRecord.length > TIMED_RUNS) this.msPerRecord.shift();
    }
    return out;
  }

  /** Why the helper thread is gone (read anew: an event may have set it while a batch ran). */
  private helperGone(): Error | null {
    return this.gone;
  }

  /** The helper's outputs of the last request, as views of the shared buffer. */
  private received(): Tensor[] {
    let at = 0;
    return readDims(this.control, CTL.outputDims).map((dims) => {
      const n = sizeOf(dims);
      const data = this.output.subarray(at, at + n) as Float32Array;
      at += n;
      return { data, dims };
    });
  }

  /** Reads the port: takes a new output buffer, returns an error message if one came. */
  private drain(): string | null {
    let error: string | null = null;
    const port = this.helper?.port;
    if (!port) return null;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const message = m.message as PortMessage;
      if ('buffer' in message) this.output = new Float32Array(message.buffer);
      else error = message.error;
    }
    return error;
  }

  /**
   * Waits while a control slot holds `value`: spinning at most `spinMs`, then asleep, until it changes or the
   * helper dies.
   */
  private async until(slot: number, value: number, spinMs = SPIN_MS): Promise<void> {
    if (spinWhile(this.control, slot, value, spinMs)) return;
    // A pending waitAsync does not keep the process alive; the helper thread does while it is ref'd.
    const worker = this.helper?.worker;
    worker?.ref();
    try {
      while (Atomics.load(this.control, slot) === value && !this.gone) {
        const wait = Atomics.waitAsync(this.control, slot, value, CHECK_MS);
        if (wait.async) await wait.value;
        // A turn of the event loop, so an `exit` of the helper is seen.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      worker?.unref();
    }
  }
}

/** Records `from` to `to` of each tensor (batch axis first), as views. */
function recordRange(tensors: Tensor[], from: number, to: number): Tensor[] {
  return tensors.map((t) => {
    const perRecord = sizeOf(t.dims.slice(1));
    return { data: t.data.subarray(from * perRecord, to * perRecord), dims: [to - from, ...t.dims.slice(1)] };
  });
}

/** Each output's two parts joined along the batch axis, into new arrays. */
function concatBatches(heads: Tensor[], tails: Tensor[]): Tensor[] {
  return heads.map((head, i) => {
    const tail = tails[i];
    const data = new Float32Array(head.data.length + tail.data.length);
    data.set(head.data);
    data.set(tail.data, head.data.length);
    return { data, dims: [head.dims[0] + tail.dims[0], ...head.dims.slice(1)] };
  });
}
