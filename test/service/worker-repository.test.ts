/**
 * What a queue worker reads from the repository: a stored model version's file (from the artifact store, or
 * downloaded from the server with an API key) and a stored connection opened with the server's secret key —
 * and the clear, final or retryable errors when something is missing.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShardRepository } from '../../src/queue/index.js';
import { openWorkerRepository } from '../../src/service/index.js';
import { KerasBatchError } from '../../src/util/errors.js';
import { exampleModelBytes, type Harness, multipart, startHarness } from '../api/api-harness.js';

const SECRET = 'worker-repo-secret-key-0123456789abcdef';

/** The error a promise rejects with. */
const failure = async (p: Promise<unknown>): Promise<KerasBatchError> => {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(KerasBatchError);
    return error as KerasBatchError;
  }
  throw new Error('expected a failure');
};

describe('the repository as a worker reads it', () => {
  let h: Harness;
  let dataDir: string;
  let version: { id: string; sha256: string };
  let local: string;
  let s3: string;
  const open: ShardRepository[] = [];
  const openRepo = async (...args: Parameters<typeof openWorkerRepository>) => {
    const repo = await openWorkerRepository(...args);
    open.push(repo);
    return repo;
  };

  beforeAll(async () => {
    h = await startHarness();
    dataDir = join(h.dir, 'data');
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', file: ['mnist-cnn.keras', exampleModelBytes()] }),
    });
    version = created.json().version;
    await writeFile(join(h.dir, 'img1.json'), '{"values": [1]}');
    const conn = (payload: object) => h.call({ method: 'POST', url: '/api/v1/connections', payload });
    local = (await conn({ name: 'here', type: 'local', path: h.dir })).json().id;
    s3 = (
      await conn({
        name: 'cos',
        type: 's3',
        endpoint: 'http://127.0.0.1:9',
        access_key: 'AKIAWORKERTEST0001',
        secret_key: SECRET,
      })
    ).json().id;
  });
  afterAll(async () => {
    for (const r of open) await r.close();
    await h?.close();
  });

  it('refuses a data dir without a database instead of creating an empty one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kb-worker-empty-'));
    try {
      const error = await failure(openWorkerRepository({ dataDir: empty, env: {} }));
      expect(error.code).toBe('SERVICE_NO_REPOSITORY');
      expect(error.message).toContain('--data-dir');
      expect(existsSync(join(empty, 'keras-batch.sqlite'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("reads a stored version's file by id and checks its sha256", async () => {
    const repo = await openRepo({ dataDir, env: {} });
    const files = await repo.modelFiles({ versionId: version.id, sha256: version.sha256, name: 'm' });
    expect(files.fileName).toBe('mnist-cnn.keras');
    expect(Buffer.compare(Buffer.from(files.file), Buffer.from(exampleModelBytes()))).toBe(0);
    const wrong = await failure(
      repo.modelFiles({ versionId: version.id, sha256: 'ab'.repeat(32), name: 'm' }),
    );
    expect([wrong.code, wrong.retryable]).toEqual(['SERVICE_INVALID', false]);
    const missing = await failure(repo.modelFiles({ versionId: 'nope', sha256: version.sha256, name: 'm' }));
    expect([missing.code, missing.retryable]).toEqual(['REPO_NOT_FOUND', false]);
  });

  it('downloads the file from the server with an API key; a wrong key is final, a server down is retried', async () => {
    const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const ref = { versionId: version.id, sha256: version.sha256, name: 'm' };
    const good = await openRepo({ dataDir, env: {}, server: { url, apiKey: h.key } });
    expect(good.where).toContain(url);
    const files = await good.modelFiles(ref);
    expect(Buffer.compare(Buffer.from(files.file), Buffer.from(exampleModelBytes()))).toBe(0);
    const badKey = await openRepo({ dataDir, env: {}, server: { url, apiKey: 'kb_wrong' } });
    const refused = await failure(badKey.modelFiles(ref));
    expect(refused.retryable).toBe(false);
    expect(refused.message).toMatch(/answered 401 .*KERAS_BATCH_API_KEY/);
    const down = await openRepo({ dataDir, env: {}, server: { url: 'http://127.0.0.1:9', apiKey: h.key } });
    const unreachable = await failure(down.modelFiles(ref));
    expect([unreachable.code, unreachable.retryable]).toEqual(['SERVICE_UNAVAILABLE', true]);
  });

  it("opens stored connections: a local folder; S3 keys only with the server's secret key", async () => {
    const repo = await openRepo({ dataDir, env: {} });
    const folder = await repo.openPlace(
      { connectionId: local, bucket: null, prefix: '' },
      { create: false, concurrency: 4 },
    );
    expect(await folder.head('img1.json')).toBeTruthy();
    await folder.close();
    const bucket = await repo.openPlace(
      { connectionId: s3, bucket: 'b', prefix: 'in/' },
      { create: false, concurrency: 4 },
    );
    expect(bucket.kind).toBe('s3');
    await bucket.close();

    // Another machine: the same database, without the data dir's secret.key.
    const elsewhere = mkdtempSync(join(tmpdir(), 'kb-worker-elsewhere-'));
    try {
      for (const f of ['keras-batch.sqlite', 'keras-batch.sqlite-wal', 'keras-batch.sqlite-shm'])
        if (existsSync(join(dataDir, f))) copyFileSync(join(dataDir, f), join(elsewhere, f));
      const keyless = await openRepo({ dataDir: elsewhere, env: {} });
      const place = { connectionId: s3, bucket: 'b', prefix: '' };
      const noKey = await failure(keyless.openPlace(place, { create: false, concurrency: 4 }));
      expect([noKey.code, noKey.retryable]).toEqual(['SERVICE_NO_SECRET_KEY', false]);
      expect(noKey.message).toContain('KERAS_BATCH_SECRET_KEY');
      const wrongKey = await openRepo({
        dataDir: elsewhere,
        env: { KERAS_BATCH_SECRET_KEY: '11'.repeat(32) },
      });
      const sealed = await failure(wrongKey.openPlace(place, { create: false, concurrency: 4 }));
      expect([sealed.code, sealed.retryable]).toEqual(['REPO_DECRYPT', false]);
      for (const e of [noKey, sealed]) expect(e.message).not.toContain(SECRET);
      const unknown = await failure(
        keyless.openPlace({ ...place, connectionId: 'gone' }, { create: false, concurrency: 4 }),
      );
      expect(unknown.code).toBe('REPO_NOT_FOUND');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
