import type { OpenModel } from '../engine/open-model.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { QueueError } from './errors.js';
import type { ShardModelRef } from './types.js';

/** Reads and compiles the model a reference names (a file path, or a stored version through the repository). */
export type ModelLoader = (ref: ShardModelRef) => Promise<OpenModel>;

/**
 * The models a worker has loaded, by sha256: each loaded once, the least recently used one disposed when more
 * than `capacity` are held. A model that failed to load is remembered as failed (its error is rethrown at once),
 * unless the failure was transient (a repository or store that did not answer): that one is tried again.
 */
export class ModelCache {
  private readonly models = new Map<string, Promise<OpenModel>>();

  constructor(
    private readonly capacity: number,
    private readonly load: ModelLoader,
  ) {}

  /** The compiled model for a reference; fails with `QUEUE_MODEL_MISMATCH` when the file is not that model. */
  get(ref: ShardModelRef): Promise<OpenModel> {
    const hit = this.models.get(ref.sha256);
    if (hit) {
      this.models.delete(ref.sha256);
      this.models.set(ref.sha256, hit);
      return hit;
    }
    const loading = this.load(ref).then(async (model) => {
      if (model.sha256 !== ref.sha256) {
        await model.engine.dispose();
        throw new QueueError(
          'QUEUE_MODEL_MISMATCH',
          `${ref.name}: the model file this worker reads has sha256 ${model.sha256}, the job wants ${ref.sha256}`,
        );
      }
      return model;
    });
    loading.catch((error) => {
      if (isTransient(error) && this.models.get(ref.sha256) === loading) this.models.delete(ref.sha256);
    });
    this.models.set(ref.sha256, loading);
    while (this.models.size > this.capacity) {
      const [oldest, model] = this.models.entries().next().value as [string, Promise<OpenModel>];
      this.models.delete(oldest);
      void model.then((m) => m.engine.dispose()).catch(() => undefined);
    }
    return loading;
  }

  /** Disposes every model. */
  async close(): Promise<void> {
    const all = [...this.models.values()];
    this.models.clear();
    await Promise.all(all.map((m) => m.then((x) => x.engine.dispose()).catch(() => undefined)));
  }
}

/** Whether an error may go away by itself (retry the shard) rather than fail the job. */
export const isTransient = (error: unknown): boolean => error instanceof KerasBatchError && error.retryable;

/** The reason text of a model that cannot be loaded. */
export const modelFailure = (ref: ShardModelRef, error: unknown): string =>
  `the model ${ref.name} cannot be loaded: ${errorMessage(error)}`;
