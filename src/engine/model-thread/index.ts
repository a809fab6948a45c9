import type { Worker } from 'node:worker_threads';
import type { Shape } from '../../keras/model.js';
import { EngineError } from '../../util/errors.js';
import { giveBackFloats } from '../../util/float-buffers.js';
import { currentLimits, LimitError } from '../../util/limits.js';
import { startModuleWorker } from '../module-worker.js';
import type { OpenModel } from '../open-model.js';
import type { Engine, InputTensor, PredictOptions, Tensor, TensorSpec } from '../types.js';
import {
  type FromThread,
  handedBuffers,
  type ModelSource,
  receiveError,
  type ThreadOpened,
  type ThreadSetup,
  type ToThread,
} from './protocol.js';

export type { ModelSource } from './protocol.js';

const counts = { started: 0, running: 0 };

/** Model threads started by this process, and those still running (a model loading or kept compiled). */
export function modelThreads(): { started: number; running: number } {
  return { ...counts };
}

/** Starts a model thread (`thread.ts`, compiled or through tsx). */
function startThread(setup: ThreadSetup): Worker {
  const worker = startModuleWorker(import.meta.url, 'thread', setup);
  counts.started += 1;
  counts.running += 1;
  worker.once('exit', () => {
    counts.running -= 1;
  });
  return worker;
}

/** An engine that runs in its model thread: `predict` sends the inputs there and the outputs back. */
class ThreadEngine implements Engine {
  private readonly pending = new Map<
    number,
    { resolve: (t: Tensor[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private gone: Error | null = null;
  private disposing: Promise<void> | null = null;
  readonly backend: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly layerShapes: ReadonlyMap<string, Shape[]>;

  constructor(
    private readonly worker: Worker,
    opened: ThreadOpened,
    private readonly name: string,
  ) {
    this.backend = opened.backend;
    this.inputs = opened.inputs;
    this.outputs = opened.outputs;
    this.layerShapes = opened.layerShapes;
    worker.on('message', (m: FromThread) => {
      if (m.kind !== 'result' && m.kind !== 'predict-failed') return;
      const call = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      for (const buffer of m.kind === 'result' ? (m.spare ?? []) : []) giveBackFloats(buffer);
      if (m.kind === 'result') call?.resolve(m.outputs);
      else call?.reject(receiveError(m.error));
    });
    const lost = (why: string) => {
      this.gone ??= new EngineError('ENGINE_THREAD_LOST', `the thread running model ${name} ${why}`);
      for (const call of this.pending.values()) call.reject(this.gone);
      this.pending.clear();
    };
    worker.on('error', (e) => lost(`failed: ${e.message}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    worker.unref();
  }

  predict(inputs: InputTensor[], options: PredictOptions = {}): Promise<Tensor[]> {
    if (this.gone) return Promise.reject(this.gone);
    if (this.disposing)
      return Promise.reject(new EngineError('ENGINE_DISPOSED', `model ${this.name} is closed`));
    const id = this.nextId++;
    return new Promise<Tensor[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(
        { kind: 'predict', id, inputs, handOver: options.handOver } satisfies ToThread,
        options.handOver ? handedBuffers(inputs) : [],
      );
    });
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (!this.gone) {
        const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
        this.worker.postMessage({ kind: 'dispose' } satisfies ToThread);
        const timer = setTimeout(() => void this.worker.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return this.disposing;
  }
}

/** A model opened in its own thread: what {@link OpenModel} has, and the bytes read (file + architecture). */
export interface ThreadModel extends OpenModel {
  size: number;
}

/** Options of {@link openModelInThread}. */
export interface ThreadOpenOptions {
  architecture?: ModelSource;
  /** The file name, for messages. */
  name: string;
  /** Inference threads of the model's session. */
  threads?: number;
}

/**
 * Reads, normalizes and compiles a model in a thread of its own, which then runs it: the event loop keeps
 * answering meanwhile (a 20,000-layer model takes seconds to compile). A load that takes longer than the
 * `model-load-seconds` limit is ended (the thread terminated) with a {@link LimitError}. The returned
 * description carries its weights' shapes, not their data (the thread holds them).
 */
export function openModelInThread(model: ModelSource, options: ThreadOpenOptions): Promise<ThreadModel> {
  const started = performance.now();
  const limits = currentLimits();
  const worker = startThread({
    model,
    architecture: options.architecture,
    name: options.name,
    threads: options.threads,
    limits,
  });
  return new Promise<ThreadModel>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      fn();
    };
    const timer = setTimeout(() => {
      // Tenths, rounded up: the load is ended at the limit, so whole seconds would say "3 s" at 2.01 s.
      const seconds = Math.ceil((performance.now() - started) / 100) / 10;
      void worker.terminate();
      settle(() =>
        reject(
          new LimitError(
            'engine',
            'modelLoadSeconds',
            `loading model ${options.name}`,
            seconds,
            limits.modelLoadSeconds,
          ),
        ),
      );
    }, limits.modelLoadSeconds * 1000);
    const onMessage = (m: FromThread) => {
      if (m.kind === 'opened')
        settle(() =>
          resolve({
            description: m.description,
            engine: new ThreadEngine(worker, m, options.name),
            sha256: m.sha256,
            size: m.size,
            loadMs: performance.now() - started,
          }),
        );
      else if (m.kind === 'failed') settle(() => reject(receiveError(m.error)));
    };
    worker.on('message', onMessage);
    worker.once('error', (e) =>
      settle(() =>
        reject(
          new EngineError(
            'ENGINE_THREAD_LOST',
            `the thread loading model ${options.name} failed: ${e.message}`,
          ),
        ),
      ),
    );
    worker.once('exit', (code) =>
      settle(() =>
        reject(
          new EngineError('ENGINE_THREAD_LOST', `the thread loading model ${options.name} exited (${code})`),
        ),
      ),
    );
  });
}
