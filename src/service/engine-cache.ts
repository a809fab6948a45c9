import { createEngine } from '../engine/index.js';
import type { Engine } from '../engine/types.js';
import { loadModel, type ModelDescription } from '../keras/index.js';
import type { ModelVersionRow } from '../repository/index.js';
import type { BucketDriver } from '../storage/index.js';
import { OnlineBatcher } from './online-batcher.js';

/** A compiled model version kept in memory: what batch jobs and online scoring run. */
export interface CachedModel {
  versionId: string;
  description: ModelDescription;
  engine: Engine;
  sha256: string;
  batcher: OnlineBatcher;
}

/**
 * Compiled engines by model version, loaded once from the artifact store and kept (online scoring must not
 * reload). Concurrent requests for the same version share one load.
 */
export class EngineCache {
  private readonly entries = new Map<string, Promise<CachedModel>>();

  constructor(
    private readonly artifacts: BucketDriver,
    private readonly threads?: number,
  ) {}

  /** Puts an engine compiled elsewhere (at upload) in the cache. */
  put(versionId: string, model: Omit<CachedModel, 'batcher' | 'versionId'>): void {
    this.entries.set(
      versionId,
      Promise.resolve({ ...model, versionId, batcher: new OnlineBatcher(model.engine) }),
    );
  }

  /** The engine of a version, loading it on first use. */
  get(version: ModelVersionRow): Promise<CachedModel> {
    let entry = this.entries.get(version.id);
    if (!entry) {
      entry = this.load(version);
      this.entries.set(version.id, entry);
      entry.catch(() => this.entries.delete(version.id));
    }
    return entry;
  }

  private async load(version: ModelVersionRow): Promise<CachedModel> {
    const bytes = (await this.artifacts.get(version.artifact_key)).body;
    const architecture = version.architecture_key
      ? (await this.artifacts.get(version.architecture_key)).body
      : undefined;
    const description = await loadModel(bytes, { architecture, name: version.file_name });
    const engine = await createEngine(description, { threads: this.threads });
    return {
      versionId: version.id,
      description,
      engine,
      sha256: version.sha256,
      batcher: new OnlineBatcher(engine),
    };
  }

  /** Drops and disposes a version's engine (its model was deleted). */
  async evict(versionId: string): Promise<void> {
    const entry = this.entries.get(versionId);
    this.entries.delete(versionId);
    if (entry) await entry.then((m) => m.engine.dispose()).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.evict(id)));
  }
}
