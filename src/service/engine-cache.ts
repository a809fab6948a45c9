import { RecordBatcher } from '../batch/index.js';
import { ModelCache, type ModelCacheOptions, type ModelLease } from '../engine/model-cache.js';
import { openModelInThread } from '../engine/model-thread/index.js';
import type { OpenModel } from '../engine/open-model.js';
import type { ModelVersionRow } from '../repository/index.js';
import type { ModelFileSource } from './model-files.js';

const onlineBatcher = (engine: OpenModel['engine']) => new RecordBatcher(engine, 64, 'idle');

/** A compiled model version kept in memory: what batch jobs and online scoring run. */
export interface CachedModel extends OpenModel {
  /** Online requests gathered while the engine is busy (up to 64 records a call). */
  batcher: RecordBatcher;
}

/**
 * The server's compiled model versions, in the process's one compiled-model cache (engine/model-cache.ts)
 * keyed by the file's sha256: read once from the model files (the one reader of stored models), bounded by
 * count and bytes, each in use by a job or a request until released. Each is loaded, compiled and run in a
 * model thread of its own (engine/model-thread), so a slow load never stalls the server's event loop.
 */
export class EngineCache {
  private readonly cache: ModelCache<CachedModel>;

  constructor(
    private readonly files: ModelFileSource,
    private readonly threads?: number,
    options: ModelCacheOptions = {},
  ) {
    this.cache = new ModelCache(options);
  }

  /** Keeps an engine compiled elsewhere (at upload). */
  put(model: Omit<OpenModel, 'loadMs'>): void {
    this.cache.put(model.sha256, { ...model, loadMs: 0, batcher: onlineBatcher(model.engine) });
  }

  /** The engine of a version, compiled on first use; release the lease when done. */
  acquire(version: ModelVersionRow): Promise<ModelLease<CachedModel>> {
    return this.cache.acquire(version.sha256, () => this.load(version));
  }

  /** Runs `fn` with a version's engine. */
  use<R>(version: ModelVersionRow, fn: (model: CachedModel) => Promise<R>): Promise<R> {
    return this.cache.use(version.sha256, () => this.load(version), fn);
  }

  private async load(version: ModelVersionRow): Promise<CachedModel> {
    const files = await this.files.get(version);
    const model = await openModelInThread(
      { bytes: files.file },
      {
        architecture: files.architecture ? { bytes: files.architecture } : undefined,
        name: files.fileName,
        threads: this.threads,
      },
    );
    return { ...model, batcher: onlineBatcher(model.engine) };
  }

  /** Drops a model file's engine (its version was deleted); disposed once no job uses it. */
  evict(sha256: string): Promise<void> {
    return this.cache.evict(sha256);
  }

  async close(): Promise<void> {
    await this.cache.close();
  }
}
