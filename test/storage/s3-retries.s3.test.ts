/**
 * The s3 driver through the fault proxy: throttling (503 SlowDown), slow answers and dropped connections
 * are absorbed by bounded retries; a server that never recovers gives a retryable typed error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Driver } from '../../src/storage/s3-driver.js';
import { type FaultProxy, seededRandom, startFaultProxy } from '../helpers/fault-proxy.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { collect, expectStorageError, mapLimit } from './conformance.js';

const BUCKET = 'faults';
let server: S3TestServer;
let proxy: FaultProxy;

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket(BUCKET);
  proxy = await startFaultProxy({ target: server.endpoint, seed: 42 });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

const driver = (prefix: string, maxAttempts = 10) =>
  createS3Driver({
    endpoint: proxy.endpoint,
    bucket: BUCKET,
    prefix,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts,
    requestTimeoutMs: 5_000,
    maxSockets: 16,
  });

describe('fault proxy', () => {
  it('draws the same faults from the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const sa = Array.from({ length: 20 }, a);
    expect(Array.from({ length: 20 }, b)).toEqual(sa);
    expect(Array.from({ length: 20 }, c)).not.toEqual(sa);
    for (const x of sa) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('s3 driver through faults', () => {
  it('puts, gets and lists 200 objects with 20% 503s, drops and slow answers', async () => {
    const d = driver('many');
    const keys = Array.from({ length: 200 }, (_, i) => `in/img${String(i).padStart(3, '0')}.json`);
    const content = (k: string) => JSON.stringify({ values: [k, k.length] });
    const before = { ...proxy.stats };
    proxy.setFaults({ errorRate: 0.2, dropRate: 0.05, slowRate: 0.1, slowMs: 150 });
    try {
      await mapLimit(keys, 16, (k) => d.put(k, content(k)));
      const bodies = await mapLimit(keys, 16, async (k) => Buffer.from((await d.get(k)).body).toString());
      expect(bodies).toEqual(keys.map(content));
      const heads = await mapLimit(keys, 16, (k) => d.head(k));
      expect(heads.every((h) => h !== null)).toBe(true);
      const listed = await collect(d, 'in/', 25);
      expect(listed.keys).toEqual(keys);
      expect(listed.pages.length).toBe(8);
    } finally {
      proxy.setFaults({ errorRate: 0, dropRate: 0, slowRate: 0 });
      await d.close();
    }
    const injected = {
      errors: proxy.stats.errors - before.errors,
      drops: proxy.stats.drops - before.drops,
      slowed: proxy.stats.slowed - before.slowed,
    };
    expect(injected.errors).toBeGreaterThan(50);
    expect(injected.drops).toBeGreaterThan(5);
    expect(injected.slowed).toBeGreaterThan(20);
  });

  it('gives up after maxAttempts with a retryable STORAGE_UNAVAILABLE', async () => {
    const d = driver('down', 3);
    const before = proxy.stats.requests;
    proxy.setFaults({ errorRate: 1 });
    try {
      const error = await expectStorageError(d.put('a.json', '{}'), 'STORAGE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('SlowDown');
      expect(error.message).toContain('after 3 attempts');
      expect(proxy.stats.requests - before).toBe(3);
    } finally {
      proxy.setFaults({ errorRate: 0 });
      await d.close();
    }
  });

  it('reports connections that always drop as a retryable STORAGE_UNREACHABLE', async () => {
    const d = driver('dropped', 2);
    proxy.setFaults({ dropRate: 1 });
    try {
      const error = await expectStorageError(d.get('a.json'), 'STORAGE_UNREACHABLE');
      expect(error.retryable).toBe(true);
    } finally {
      proxy.setFaults({ dropRate: 0 });
      await d.close();
    }
  });
});
