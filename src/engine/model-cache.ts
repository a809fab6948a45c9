import { LRUCache } from 'lru-cache';
import type { ModelDescription } from '../keras/model.js';
import { EngineError } from '../util/errors.js';
import type { Engine } from './types.js';

/** How many compiled models a process keeps, and how many bytes of weights they may hold together. */
export interface ModelCacheOptions {
  /** Most models kept compiled (least recently used evicted first). Default 8. */
  maxModels?: number;
  /** Most bytes of weights kept compiled, all models together. Default 2 GiB. */
  maxBytes?: number;
}

export const MODEL_CACHE_DEFAULTS: Readonly<Required<ModelCacheOptions>> = {
  maxModels: 8,
  maxBytes: 2 * 1024 ** 3,
};

/** The defaults merged with `options`, each checked (a positive integer). */
export function modelCacheOptions(options: ModelCacheOptions = {}): Required<ModelCacheOptions> {
  const merged = { ...MODEL_CACHE_DEFAULTS, ...stripUndefined(options) };
  for (const [key, value] of Object.entries(merged)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new EngineError(
        'ENGINE_BAD_OPTION',
        `model cache ${key} must be a positive integer, got ${value}`,
      );
    }
  }
  return merged;
}

const stripUndefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** What the cache holds: a compiled engine and the description it was compiled from (for its size). */
export interface CompiledModel {
  engine: Engine;
  description: ModelDescription;
}

/**
 * The bytes of a model's weights (float32), the cache's measure of a model's memory: from their shapes, so a
 * description whose weights' data stayed in a model thread measures the same.
 */
export function weightBytes(description: ModelDescription): number {
  let bytes = 0;
  for (const layer of description.layers)
    for (const w of layer.weights)
      bytes += Math.max(w.data.byteLength, 4 * w.shape.reduce((a, b) => a * b, 1));
  return bytes;
}

/** A model in use: `release()` it when done (an evicted model is disposed when its last user releases it). */
export interface ModelLease<T> {
  readonly model: T;
  release(): void;
}

interface Entry<T> {
  model: T;
  users: number;
  evicted: boolean;
}

/**
 * The compiled models of a process (a server, a worker), by key (the model's sha256): each compiled once,
 * concurrent users share one load, least recently used models are evicted beyond the count or bytes budget,
 * and an evicted model is disposed only once no job or request uses it. A model larger than the whole budget
 * is compiled for its users and disposed after them, never kept.
 */
export class ModelCache<T extends CompiledModel> {
  private readonly lru: LRUCache<string, Entry<T>>;
  private readonly loading = new Map<string, { promise: Promise<Entry<T>>; waiters: number }>();
  private readonly disposals = new Set<Promise<void>>();
  readonly options: Required<ModelCacheOptions>;

  constructor(
    options: ModelCacheOptions = {},
    private readonly onDispose: (model: T) => Promise<void> = (m) => m.engine.dispose(),
  ) {
    this.options = modelCacheOptions(options);
    this.lru = new LRUCache<string, Entry<T>>({
      max: this.options.maxModels,
      maxSize: this.options.maxBytes,
      sizeCalculation: (entry) => Math.max(1, weightBytes(entry.model.description)),
      dispose: (entry) => this.retire(entry),
    });
  }

  /** The model under `key`, compiled by `load` on first use. */
  async acquire(key: string, load: () => Promise<T>): Promise<ModelLease<T>> {
    const hit = this.lru.get(key);
    if (hit) {
      hit.users += 1;
      return this.lease(hit);
    }
    let pending = this.loading.get(key);
    if (!pending) {
      const slot = { waiters: 0 } as { promise: Promise<Entry<T>>; waiters: number };
      slot.promise = load().then(
        (model) => {
          this.loading.delete(key);
          return this.store(key, model, slot.waiters);
        },
        (error) => {
          this.loading.delete(key);
          throw error;
        },
      );
      this.loading.set(key, slot);
      pending = slot;
    }
    pending.waiters += 1;
    return this.lease(await pending.promise);
  }

  /** Runs `fn` with the model under `key` and releases it after. */
  async use<R>(key: string, load: () => Promise<T>, fn: (model: T) => Promise<R>): Promise<R> {
    const lease = await this.acquire(key, load);
    try {
      return await fn(lease.model);
    } finally {
      lease.release();
    }
  }

  /** Keeps a model compiled elsewhere (at upload) under `key`. */
  put(key: string, model: T): void {
    this.store(key, model, 0);
  }

  /** Whether `key` is compiled and kept. */
  has(key: string): boolean {
    return this.lru.has(key);
  }

  /** Drops `key` (disposed now, or when its last user releases it). */
  async evict(key: string): Promise<void> {
    this.lru.delete(key);
    await this.settled();
  }

  /** Drops every model; those in use are disposed when released. */
  async close(): Promise<void> {
    this.lru.clear();
    await this.settled();
  }

  private store(key: string, model: T, users: number): Entry<T> {
    const entry: Entry<T> = { model, users, evicted: false };
    this.lru.set(key, entry);
    if (this.lru.peek(key) !== entry) this.retire(entry); // larger than the whole budget: not kept
    return entry;
  }

  private lease(entry: Entry<T>): ModelLease<T> {
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.users -= 1;
        if (entry.evicted && entry.users === 0) this.dispose(entry);
      },
    };
  }

  private retire(entry: Entry<T>): void {
    if (entry.evicted) return;
    entry.evicted = true;
    if (entry.users === 0) this.dispose(entry);
  }

  private dispose(entry: Entry<T>): void {
    const done = this.onDispose(entry.model).catch(() => undefined);
    this.disposals.add(done);
    void done.finally(() => this.disposals.delete(done));
  }

  private async settled(): Promise<void> {
    await Promise.all([...this.disposals]);
  }
}
