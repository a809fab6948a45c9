/**
 * The lifecycle of deployments, models and connections over /api/v1 (real app, real SQLite): edit, unique
 * names, delete with the job records deleted or kept, a model's new version chosen by a deployment, and
 * deletes refused while in use, naming the users, or cascading when asked.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_INPUT, exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

describe('/api/v1 lifecycle: edit, rename, new versions, deletes', () => {
  let h: Harness;
  let folder: string;
  const batch = (name: string, extra: Record<string, unknown> = {}) => ({
    method: 'POST' as const,
    url: '/api/v1/deployments',
    payload: {
      name,
      type: 'batch',
      model: 'digits',
      source: { connection: 'local', bucket: 'in' },
      target: { connection: 'local', bucket: `out-${name}` },
      ...extra,
    },
  });
  beforeAll(async () => {
    h = await startHarness();
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', file: ['mnist-cnn.keras', exampleModelBytes()] }),
    });
    expect(res.statusCode).toBe(201);
    folder = join(h.dir, 'buckets');
    mkdirSync(join(folder, 'in'), { recursive: true });
    writeFileSync(join(folder, 'in', 'img1.json'), readFileSync(EXAMPLE_INPUT));
    const conn = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'local', type: 'local', path: folder },
    });
    expect(conn.statusCode).toBe(201);
  });
  afterAll(() => h.close());

  it('deployment names are unique: create and rename to a taken name get 409 naming it', async () => {
    const first = await h.call(batch('nightly', { start: false }));
    expect(first.statusCode).toBe(201);
    let res = await h.call(batch('nightly', { start: false }));
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'REPO_CONFLICT' });
    expect(res.json().error.message).toContain(
      `a deployment named "nightly" already exists (${first.json().id})`,
    );
    const other = (await h.call(batch('weekly', { start: false }))).json();
    res = await h.call({
      method: 'PATCH',
      url: `/api/v1/deployments/${other.id}`,
      payload: { name: 'nightly' },
    });
    expect(res.statusCode).toBe(409);
    // connection names too
    res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'local', type: 'local', path: folder },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain('a connection named "local" already exists');
  });

  it('PATCH edits name, description and options; an empty or unknown field is 400, a bad limit 422', async () => {
    const d = (await h.call(batch('to-edit', { start: false }))).json();
    let res = await h.call({
      method: 'PATCH',
      url: `/api/v1/deployments/${d.id}`,
      payload: { name: 'edited', description: 'new words', options: { batch_size: 8, max_failures: '5%' } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: d.id,
      name: 'edited',
      description: 'new words',
      options: { batch_size: 8, max_failures: '5%' },
    });
    expect((await h.call({ method: 'GET', url: `/api/v1/deployments/${d.id}` })).json().name).toBe('edited');
    for (const payload of [{}, { source: { connection: 'local' } }, { name: '' }]) {
      res = await h.call({ method: 'PATCH', url: `/api/v1/deployments/${d.id}`, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    res = await h.call({ method: 'PATCH', url: `/api/v1/deployments/${d.id}`, payload: { version: 9 } });
    expect(res.statusCode).toBe(404);
    res = await h.call({ method: 'PATCH', url: '/api/v1/deployments/nope', payload: { name: 'x' } });
    expect(res.statusCode).toBe(404);
    // the write is in the audit log
    const audit = (await h.call({ method: 'GET', url: '/api/v1/audit?limit=100' })).json();
    expect(audit.items).toContainEqual(
      expect.objectContaining({
        method: 'PATCH',
        route: '/api/v1/deployments/:id',
        target_id: d.id,
        status: 200,
      }),
    );
  });

  it('a new model version is kept; a deployment shows the version it uses and can change it', async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/models/digits/versions',
      ...multipart({ file: ['mnist-cnn.keras', exampleModelBytes()] }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().version).toBe(2);
    const d = (await h.call(batch('pinned', { start: false, version: 1 }))).json();
    expect(d.model_version).toBe(1);
    res = await h.call({ method: 'PATCH', url: `/api/v1/deployments/${d.id}`, payload: { version: 2 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().model_version).toBe(2);
    const model = (await h.call({ method: 'GET', url: '/api/v1/models/digits' })).json();
    expect(model.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('deleting a deployment deletes its job records, or keeps them; its outputs stay in the target', async () => {
    const gone = (await h.call(batch('gone'))).json();
    const kept = (await h.call(batch('kept'))).json();
    await h.service.jobs.idle();
    expect(readdirSync(join(folder, 'out-gone'))).toContain('img1.json');
    let res = await h.call({ method: 'DELETE', url: `/api/v1/deployments/${gone.id}` });
    expect(res.statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: `/api/v1/jobs/${gone.last_job.id}` })).statusCode).toBe(404);
    expect(existsSync(join(folder, 'out-gone', 'img1.json'))).toBe(true);

    res = await h.call({ method: 'DELETE', url: `/api/v1/deployments/${kept.id}?jobs=keep` });
    expect(res.statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: `/api/v1/deployments/${kept.id}` })).statusCode).toBe(404);
    const job = await h.call({ method: 'GET', url: `/api/v1/jobs/${kept.last_job.id}` });
    expect(job.statusCode).toBe(200);
    expect(job.json().status).toBe('completed');
    const jobs = (await h.call({ method: 'GET', url: `/api/v1/jobs?deployment=${kept.id}` })).json();
    expect(jobs.total).toBe(1);
    const names = (await h.call({ method: 'GET', url: '/api/v1/deployments?limit=100' }))
      .json()
      .items.map((d: { name: string }) => d.name);
    expect(names).not.toContain('kept');
    // its name is free again; a second delete is 404; a bad choice is 400
    expect((await h.call(batch('kept', { start: false }))).statusCode).toBe(201);
    expect((await h.call({ method: 'DELETE', url: `/api/v1/deployments/${kept.id}` })).statusCode).toBe(404);
    res = await h.call({ method: 'DELETE', url: `/api/v1/deployments/${kept.id}?jobs=maybe` });
    expect(res.statusCode).toBe(400);
  });

  it('a model in use is not deleted: 409 names its deployments; deployments=delete deletes them first', async () => {
    const upload = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'bad-notamodel', file: ['m.keras', exampleModelBytes()] }),
    });
    const model = upload.json().model;
    let res = await h.call({
      method: 'PATCH',
      url: `/api/v1/models/${model.id}`,
      payload: { name: 'digits' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain('a model named "digits" already exists');
    res = await h.call({
      method: 'PATCH',
      url: `/api/v1/models/${model.id}`,
      payload: { name: 'good-model' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: model.id, name: 'good-model' });
    expect((await h.call({ method: 'GET', url: '/api/v1/models/good-model' })).json().id).toBe(model.id);

    const a = (await h.call(batch('uses-a', { model: 'good-model', start: false }))).json();
    await h.call(batch('uses-b', { model: 'good-model', start: false }));
    res = await h.call({ method: 'DELETE', url: `/api/v1/models/${model.id}` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: 'REPO_IN_USE',
      message: 'model "good-model" is used by deployments "uses-a", "uses-b": delete them first',
    });
    const users = (await h.call({ method: 'GET', url: `/api/v1/deployments?model=${model.id}` })).json();
    expect(users.items.map((d: { name: string }) => d.name).sort()).toEqual(['uses-a', 'uses-b']);
    res = await h.call({ method: 'DELETE', url: `/api/v1/models/${model.id}?deployments=delete` });
    expect(res.statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: `/api/v1/deployments/${a.id}` })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: `/api/v1/models/${model.id}` })).statusCode).toBe(404);
  });

  it('a connection in use: 409 names its deployments; deployments=delete with jobs=keep deletes them', async () => {
    const other = join(h.dir, 'other');
    mkdirSync(join(other, 'in'), { recursive: true });
    writeFileSync(join(other, 'in', 'img1.json'), readFileSync(EXAMPLE_INPUT));
    const conn = (
      await h.call({
        method: 'POST',
        url: '/api/v1/connections',
        payload: { name: 'other', type: 'local', path: other },
      })
    ).json();
    const d = (
      await h.call(
        batch('through-other', {
          source: { connection: 'other', bucket: 'in' },
          target: { connection: 'other', bucket: 'out' },
        }),
      )
    ).json();
    await h.service.jobs.idle();
    let res = await h.call({ method: 'DELETE', url: `/api/v1/connections/${conn.id}` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toBe(
      'connection "other" is used by deployment "through-other": delete it first',
    );
    res = await h.call({ method: 'GET', url: `/api/v1/deployments?connection=${conn.id}` });
    expect(res.json().items.map((x: { id: string }) => x.id)).toEqual([d.id]);
    res = await h.call({
      method: 'DELETE',
      url: `/api/v1/connections/${conn.id}?deployments=delete&jobs=keep`,
    });
    expect(res.statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: `/api/v1/connections/${conn.id}` })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}` })).json().status).toBe(
      'completed',
    );
    expect(existsSync(join(other, 'out', 'img1.json'))).toBe(true);
    // the model those kept records refer to can still be deleted later: they go with it
    res = await h.call({ method: 'DELETE', url: '/api/v1/models/digits?deployments=delete' });
    expect(res.statusCode).toBe(204);
    expect((await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}` })).statusCode).toBe(404);
  });
});
