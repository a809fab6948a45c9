import { describe, expect, it } from 'vitest';
import { ModelCache, modelCacheOptions } from '../../src/engine/model-cache.js';
import type { Engine } from '../../src/engine/types.js';
import type { ModelDescription } from '../../src/keras/model.js';

/** A stand-in compiled model whose weights weigh `bytes` and whose disposal is recorded. */
function fake(name: string, bytes: number, disposed: string[]) {
  const description = {
    layers: [{ weights: [{ name: 'w', shape: [bytes / 4], data: new Float32Array(bytes / 4) }] }],
  } as unknown as ModelDescription;
  const engine = {
    dispose: async () => {
      disposed.push(name);
    },
  } as unknown as Engine;
  return { name, description, engine };
}

describe('engine: the one compiled-model cache', () => {
  it('loads a model once for concurrent users and keeps it', async () => {
    const disposed: string[] = [];
    const cache = new ModelCache<ReturnType<typeof fake>>({ maxModels: 2 });
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 10));
      return fake('a', 400, disposed);
    };
    const [x, y] = await Promise.all([cache.acquire('a', load), cache.acquire('a', load)]);
    expect(loads).toBe(1);
    expect(x.model).toBe(y.model);
    x.release();
    y.release();
    await cache.acquire('a', load).then((l) => l.release());
    expect(loads).toBe(1);
    expect(disposed).toEqual([]);
  });

  it('evicts the least recently used beyond the count, and disposes a model only once its users release it', async () => {
    const disposed: string[] = [];
    const cache = new ModelCache<ReturnType<typeof fake>>({ maxModels: 2 });
    const lease = await cache.acquire('a', async () => fake('a', 400, disposed));
    (await cache.acquire('b', async () => fake('b', 400, disposed))).release();
    (await cache.acquire('c', async () => fake('c', 400, disposed))).release();
    expect(cache.has('a')).toBe(false);
    expect(disposed).toEqual([]); // a is evicted but still in use
    lease.release();
    await cache.evict('none');
    expect(disposed).toEqual(['a']);
    (await cache.acquire('b', async () => fake('b2', 400, disposed))).release();
    (await cache.acquire('d', async () => fake('d', 400, disposed))).release();
    await cache.close();
    expect(disposed.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('bounds the weights kept by bytes, and never keeps a model larger than the budget', async () => {
    const disposed: string[] = [];
    const cache = new ModelCache<ReturnType<typeof fake>>({ maxModels: 10, maxBytes: 1000 });
    (await cache.acquire('a', async () => fake('a', 400, disposed))).release();
    (await cache.acquire('b', async () => fake('b', 400, disposed))).release();
    (await cache.acquire('c', async () => fake('c', 400, disposed))).release();
    await cache.evict('none');
    expect(disposed).toEqual(['a']);
    const big = await cache.acquire('big', async () => fake('big', 4000, disposed));
    expect(cache.has('big')).toBe(false);
    expect(disposed).toEqual(['a']);
    big.release();
    await cache.evict('none');
    expect(disposed).toEqual(['a', 'big']);
    expect(cache.has('b') && cache.has('c')).toBe(true);
  });

  it('forgets a failed load, so the next user tries again', async () => {
    const cache = new ModelCache<ReturnType<typeof fake>>();
    await expect(
      cache.acquire('a', async () => {
        throw new Error('no file');
      }),
    ).rejects.toThrow('no file');
    const lease = await cache.acquire('a', async () => fake('a', 4, []));
    expect(lease.model.name).toBe('a');
  });

  it('validates its options', () => {
    expect(modelCacheOptions({})).toEqual({ maxModels: 8, maxBytes: 2 * 1024 ** 3 });
    expect(() => modelCacheOptions({ maxModels: 0 })).toThrow(/maxModels must be a positive integer/);
    expect(() => modelCacheOptions({ maxBytes: 1.5 })).toThrow(/maxBytes/);
  });
});
