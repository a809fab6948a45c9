/** `/api/v1/keys` (admin), `/api/v1/me`, and the audit log at `/api/v1/audit`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

describe('API keys with roles, and the audit log', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  it('an admin creates, lists and deletes keys; the new key works with its role', async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/keys',
      payload: { name: ' reader ', role: 'viewer' },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ name: 'reader', role: 'viewer' });
    expect(created.key).toMatch(/^kb_[\w-]{32}$/);

    res = await h.app.inject({ url: '/api/v1/me', headers: as(created.key) });
    expect(res.json()).toEqual({ id: created.id, name: 'reader', role: 'viewer' });
    res = await h.call({ url: '/api/v1/me' });
    expect(res.json()).toMatchObject({ name: 'test', role: 'admin' });

    res = await h.call({ url: '/api/v1/keys' });
    expect(res.statusCode).toBe(200);
    const listed = res.json().items.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'reader', role: 'viewer', prefix: created.key.slice(0, 7) });
    expect(res.body).not.toContain(created.key);

    // The viewer reads, but may not write nor manage keys.
    expect((await h.app.inject({ url: '/api/v1/models', headers: as(created.key) })).statusCode).toBe(200);
    res = await h.app.inject({ url: '/api/v1/keys', headers: as(created.key) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toBe('GET /api/v1/keys needs role admin (this key is viewer)');

    res = await h.call({ method: 'DELETE', url: `/api/v1/keys/${created.id}` });
    expect(res.statusCode).toBe(204);
    expect((await h.call({ url: '/api/v1/keys' })).body).not.toContain(created.id);
    res = await h.call({ method: 'DELETE', url: `/api/v1/keys/${created.id}` });
    expect(res.statusCode).toBe(404);
  });

  it('a key needs a known role and a name', async () => {
    let res = await h.call({ method: 'POST', url: '/api/v1/keys', payload: { name: 'x', role: 'root' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe('body.role: must be one of "admin", "editor", "viewer", "scorer"');
    res = await h.call({ method: 'POST', url: '/api/v1/keys', payload: { name: 'x' } });
    expect(res.json().error.message).toBe('body: missing field "role"');
    // schema-valid but unusable: 422, as every route answers it (docs/api.md)
    res = await h.call({ method: 'POST', url: '/api/v1/keys', payload: { name: '  ', role: 'viewer' } });
    expect(res.statusCode).toBe(422);
  });

  it('the audit log records writes with who, what, target and outcome; never a key or a body', async () => {
    const editor = await h.service.keys.create('ed', 'editor');
    const scorer = await h.service.keys.create('sc', 'scorer');
    const since = new Date().toISOString();
    // An editor stores a model (201), is refused a connection (403), deletes an unknown model (404).
    const upload = multipart({ name: 'audited', file: ['m.keras', exampleModelBytes()] });
    let res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/models',
      payload: upload.payload,
      headers: { ...upload.headers, ...as(editor.key) },
    });
    expect(res.statusCode).toBe(201);
    const modelId = res.json().model.id;
    res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/connections',
      headers: as(editor.key),
      payload: {
        type: 's3',
        endpoint: 'https://s3.example.com',
        access_key: 'AKIAEXAMPLE',
        secret_key: 'SeCrEt',
      },
    });
    expect(res.statusCode).toBe(403);
    res = await h.app.inject({ method: 'DELETE', url: '/api/v1/models/nope', headers: as(editor.key) });
    expect(res.statusCode).toBe(404);
    // Not recorded: no key (401), a read, online scoring that was allowed. Recorded: a refused scoring.
    await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: as('kb_notakeynotakey') });
    await h.app.inject({ url: '/api/v1/models', headers: as(editor.key) });
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/deployments/nope/online',
      headers: as(scorer.key),
      payload: { values: [1] },
    });
    res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/deployments/nope/run',
      headers: as(scorer.key),
    });
    expect(res.statusCode).toBe(403);

    res = await h.call({ url: `/api/v1/audit?since=${encodeURIComponent(since)}` });
    expect(res.statusCode).toBe(200);
    const page = res.json();
    const entries = page.items.map((e: Record<string, unknown>) => [
      e.key_name,
      e.role,
      e.method,
      e.route,
      e.target_id,
      e.status,
    ]);
    expect(entries).toEqual([
      ['sc', 'scorer', 'POST', '/api/v1/deployments/:id/run', 'nope', 403],
      ['ed', 'editor', 'DELETE', '/api/v1/models/:id', 'nope', 404],
      ['ed', 'editor', 'POST', '/api/v1/connections', null, 403],
      ['ed', 'editor', 'POST', '/api/v1/models', modelId, 201],
    ]);
    expect(page).toMatchObject({ total: 4, limit: 50, offset: 0 });
    expect(page.items[0].key_id).toBe(scorer.id);
    expect(res.body).not.toMatch(/AKIAEXAMPLE|SeCrEt|audited/);
    expect(res.body).not.toContain(editor.key);

    // Filters and paging.
    res = await h.call({ url: `/api/v1/audit?since=${encodeURIComponent(since)}&outcome=refused` });
    expect(res.json().items.map((e: { status: number }) => e.status)).toEqual([403, 404, 403]);
    res = await h.call({
      url: `/api/v1/audit?since=${encodeURIComponent(since)}&outcome=ok&key=${editor.id}`,
    });
    expect(res.json().total).toBe(1);
    res = await h.call({ url: `/api/v1/audit?since=${encodeURIComponent(since)}&limit=1&offset=1` });
    expect(res.json()).toMatchObject({ total: 4, limit: 1, offset: 1 });
    expect(res.json().items[0].route).toBe('/api/v1/models/:id');
    res = await h.call({ url: '/api/v1/audit?since=yesterday' });
    expect(res.statusCode).toBe(422);

    // Only an admin reads it; the refusal is itself a read, so it is not recorded.
    res = await h.app.inject({ url: '/api/v1/audit', headers: as(editor.key) });
    expect(res.statusCode).toBe(403);
  });

  it('creating a key is audited with the new key id, never the key', async () => {
    const since = new Date().toISOString();
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/keys',
      payload: { name: 'ci', role: 'scorer' },
    });
    const { id, key } = res.json();
    const audit = await h.call({ url: `/api/v1/audit?since=${encodeURIComponent(since)}` });
    expect(audit.json().items).toMatchObject([
      { key_name: 'test', role: 'admin', method: 'POST', route: '/api/v1/keys', target_id: id, status: 201 },
    ]);
    expect(audit.body).not.toContain(key);
  });

  it('the last admin key cannot be deleted over HTTP (409); another admin can be', async () => {
    const keys = (await h.call({ url: '/api/v1/keys' })).json().items as { id: string; role: string }[];
    const admins = keys.filter((k) => k.role === 'admin');
    expect(admins).toHaveLength(1);
    let res = await h.call({ method: 'DELETE', url: `/api/v1/keys/${admins[0].id}` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: 'SERVICE_LAST_ADMIN',
      message: 'API key "test" is the last admin key: create another admin key before deleting it',
    });
    const second = (
      await h.call({ method: 'POST', url: '/api/v1/keys', payload: { name: 'a2', role: 'admin' } })
    ).json();
    res = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/keys/${admins[0].id}`,
      headers: as(second.key),
    });
    expect(res.statusCode).toBe(204);
    res = await h.app.inject({ url: '/api/v1/keys', headers: as(second.key) });
    expect(res.json().items.map((k: { name: string }) => k.name)).not.toContain('test');
  });
});
