/**
 * The API client (`src/contract/client.ts`) against the real app on a port: every method reaches its route
 * and returns what the route answers; failures carry the status and the `{"error"}` body's code and message.
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient, createApiClient, queryString } from '../../src/contract/index.js';
import { EXAMPLE_INPUT, EXAMPLE_MODEL, type Harness, startHarness } from '../api/api-harness.js';
import { freePort } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';

let h: Harness;
let baseUrl: string;
let api: ApiClient;

beforeAll(async () => {
  h = await startHarness();
  baseUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
  api = createApiClient({ baseUrl: `${baseUrl}/`, apiKey: h.key });
});
afterAll(async () => h?.close());

const failureOf = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiCallError);
  return (error as ApiCallError).failure;
};

const modelForm = (name: string) => {
  const form = new FormData();
  form.set('file', new Blob([readFileSync(EXAMPLE_MODEL)]), 'mnist-cnn.keras');
  form.set('name', name);
  return form;
};

describe('the API client against a running server', () => {
  it('models and versions: upload, list, show, add a version, download the file, delete', async () => {
    const created = await api.createModel(modelForm('digits'));
    expect(created.model.name).toBe('digits');
    expect(created.version.version).toBe(1);
    expect((await api.listModels({ limit: 10 })).items.map((m) => m.name)).toEqual(['digits']);
    expect((await api.getModel('digits')).versions?.map((v) => v.version)).toEqual([1]);

    const second = new FormData();
    second.set('file', new Blob([readFileSync(EXAMPLE_MODEL)]), 'mnist-cnn.keras');
    second.set('author', 'me');
    const v2 = await api.addVersion(created.model.id, second);
    expect([v2.version, v2.author]).toEqual([2, 'me']);
    expect((await api.listVersions('digits')).items).toHaveLength(2);
    expect((await api.getVersion('digits', 2)).id).toBe(v2.id);

    const bytes = await api.versionFile(created.model.id, created.version.id);
    expect(Buffer.from(bytes).equals(readFileSync(EXAMPLE_MODEL))).toBe(true);
    const missing = await failureOf(api.versionFile(created.model.id, 'no-such-version'));
    expect([missing.status, missing.code]).toEqual([404, 'REPO_NOT_FOUND']);

    await api.createModel(modelForm('spare'));
    await api.deleteModel('spare');
    expect((await failureOf(api.getModel('spare'))).status).toBe(404);
  });

  it('connections: test, store, browse, preview, delete', async () => {
    const root = join(h.dir, 'files');
    mkdirSync(join(root, 'in'), { recursive: true });
    cpSync(join(repoRoot, 'examples', 'input'), join(root, 'in', 'images'), { recursive: true });
    mkdirSync(join(root, 'out'));

    expect(await api.testConnection({ type: 'local', path: root })).toEqual({
      ok: true,
      buckets: ['in', 'out'],
    });
    const c = await api.createConnection({ name: 'files', type: 'local', path: root });
    expect(c).toMatchObject({ name: 'files', type: 'local', access_key_hint: null });
    expect((await api.listConnections()).items.map((x) => x.id)).toEqual([c.id]);
    expect((await api.getConnection('files')).id).toBe(c.id);
    expect((await api.listBuckets(c.id)).items).toEqual(['in', 'out']);
    const listing = await api.listObjects(c.id, { bucket: 'in', prefix: 'images', limit: 3 });
    expect([listing.items.length, listing.count, listing.count_capped]).toEqual([3, 10, false]);
    const preview = await api.previewObject(c.id, { bucket: 'in', prefix: 'images', key: 'img1.json' });
    expect(preview.text).toContain('"values"');

    const refused = await failureOf(api.listObjects(c.id, { bucket: 'in', prefix: '../x' }));
    expect(refused.status).toBe(422); // well-formed, but the prefix leaves the connection
    const extra = await api.createConnection({ name: 'spare', type: 'local', path: root });
    await api.deleteConnection(extra.id);
    expect((await api.listConnections()).total).toBe(1);
  });

  it('deployments and jobs: online scoring, a batch job followed to its end, failures, rerun, cancel', async () => {
    const online = await api.createDeployment({ name: 'live', type: 'online', model: 'digits' });
    const values = JSON.parse(readFileSync(EXAMPLE_INPUT, 'utf8')).values;
    const scored = await api.scoreOnline(online.id, { values });
    expect(scored.fields).toEqual(['prediction', 'prediction_classes', 'probability']);
    expect(scored.values).toHaveLength(1);

    const batch = await api.createDeployment({
      name: 'nightly',
      type: 'batch',
      model: 'digits',
      version: 1,
      source: { connection: 'files', bucket: 'in', prefix: 'images' },
      target: { connection: 'files', bucket: 'out' },
    });
    expect(batch.last_job?.status).toMatch(/queued|running|completed/);
    const jobId = batch.last_job?.id ?? '';
    const seen: string[] = [];
    await api.followJob(jobId, (job) => seen.push(job.status));
    expect(seen.at(-1)).toBe('completed');
    const done = await api.getJob(jobId);
    expect(done.counts).toMatchObject({ total: 10, scored: 10, failed: 0 });
    expect((await api.jobFailures(jobId, { limit: 5 })).total).toBe(0);
    expect(
      (await api.listJobs({ deployment: batch.id, status: ['completed'] })).items.map((j) => j.id),
    ).toEqual([jobId]);
    expect((await api.listJobs({ status: ['failed'] })).total).toBe(0);
    const canceled = await failureOf(api.cancelJob(jobId));
    expect([canceled.status, canceled.code]).toEqual([409, 'SERVICE_JOB_FINAL']);

    const again = await api.rerunJob(jobId);
    await api.followJob(again.id, () => undefined);
    const run = await api.runDeployment(batch.id);
    await api.followJob(run.id, () => undefined);
    expect((await api.listJobs({ deployment: batch.id })).total).toBe(3);
    expect((await api.listDeployments({ model: 'digits' })).items.map((d) => d.name).sort()).toEqual([
      'live',
      'nightly',
    ]);
    expect((await api.getDeployment(batch.id)).last_job?.id).toBe(run.id);

    await api.deleteDeployment(online.id);
    expect((await failureOf(api.getDeployment(online.id))).status).toBe(404);
    const inUse = await failureOf(api.deleteModel('digits'));
    expect([inUse.status, inUse.code]).toEqual([409, 'REPO_IN_USE']);
  });

  it('failures: a refused key, a refused body, no server, and the caller’s own error', async () => {
    const wrongKey = createApiClient({ baseUrl, apiKey: 'kb_wrong' });
    const unauthorized = await failureOf(wrongKey.listModels());
    expect(unauthorized).toMatchObject({ status: 401, code: 'UNAUTHORIZED', apiKey: 'kb_wrong' });

    const invalid = await failureOf(
      api.createDeployment({ name: 'x', type: 'batch', model: 'digits', options: { batch_size: 0 } }),
    );
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(invalid.message).toMatch(/body\.options\.batch_size/);

    const nobody = createApiClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: h.key });
    const unreachable = await failureOf(nobody.listModels());
    expect(unreachable.status).toBe(0);
    expect(unreachable.cause).toBeInstanceOf(Error);

    const own = createApiClient({
      baseUrl,
      apiKey: () => h.key,
      toError: (f) => new Error(`mine: ${f.status} ${f.code}`),
    });
    await expect(own.getJob('no-such-job')).rejects.toThrow('mine: 404 REPO_NOT_FOUND');
  });

  it('queryString leaves out empty values and repeats arrays', () => {
    expect(queryString({ limit: 5, model: undefined, prefix: '', status: ['queued', 'running'] })).toBe(
      '?limit=5&status=queued&status=running',
    );
    expect(queryString({})).toBe('');
  });
});
