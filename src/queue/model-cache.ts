import { ModelCache, type ModelCacheOptions, type ModelLease } from '../engine/model-cache.js';
import type { OpenModel } from '../engine/open-model.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { QueueError } from './errors.js';
import type { ShardModelRef } from './types.js';

/** Reads and compiles the model a reference names (a file path, or a stored version through the repository). */
export type ModelLoader = (ref: ShardModelRef) => Promise<OpenModel>;

/**
 * A worker's models, by sha256, in the process's one compiled-model cache (engine/model-cache.ts: least
 * recently used evicted beyond the count or bytes budget, disposed once no shard uses it). What a worker adds:
 * the file it read must be the model the job names (`QUEUE_MODEL_MISMATCH`), and a model that failed to load
 * is remembered as failed (its error rethrown at once) unless the failure was transient (a repository or store
 * that did not answer): that one is tried again.
 */
export class WorkerModels {
  private readonly cache: ModelCache<OpenModel>;
  private readonly failed = new Map<string, unknown>();

  constructor(
    options: ModelCacheOptions,
    private readonly load: ModelLoader,
  ) {
    this.cache = new ModelCache(options);
  }

  /** The compiled model for a reference, leased for one shard. */
  async acquire(ref: ShardModelRef): Promise<ModelLease<OpenModel>> {
    if (this.failed.has(ref.sha256)) throw this.failed.get(ref.sha256);
    try {
      return await this.cache.acquire(ref.sha256, async () => {
        const model = await this.load(ref);
        if (model.sha256 !== ref.sha256) {
          await model.engine.dispose();
          throw new QueueError(
            'QUEUE_MODEL_MISMATCH',
            `${ref.name}: the model file this worker reads has sha256 ${model.sha256}, the job wants ${ref.sha256}`,
          );
        }
        return model;
      });
    } catch (error) {
      if (!isTransient(error)) {
        if (this.failed.size >= 100) this.failed.delete(this.failed.keys().next().value as string);
        this.failed.set(ref.sha256, error);
      }
      throw error;
    }
  }

  /** Disposes every model (those in use when their shard ends). */
  async close(): Promise<void> {
    this.failed.clear();
    await this.cache.close();
  }
}

/** Whether an error may go away by itself (retry the shard) rather than fail the job. */
export const isTransient = (error: unknown): boolean => error instanceof KerasBatchError && error.retryable;

/** The reason text of a model that cannot be loaded. */
export const modelFailure = (ref: ShardModelRef, error: unknown): string =>
  `the model ${ref.name} cannot be loaded: ${errorMessage(error)}`;
