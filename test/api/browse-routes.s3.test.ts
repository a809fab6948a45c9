/**
 * The browsing routes the web UI uses: test a connection before saving it, a stored connection's buckets,
 * the objects of a bucket with a count, a preview of one object; the static web UI at `/` without a key.
 * Against a local folder and the real S3 test server; keys never appear in a response.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import { type Harness, startHarness } from './api-harness.js';

describe('/api/v1 connection browsing', () => {
  let h: Harness;
  let s3: S3TestServer;
  beforeAll(async () => {
    h = await startHarness();
    s3 = await startS3Server();
    await s3.createBucket('browse-in');
    await s3.createBucket('browse-empty');
    const driver = testBucket(s3, 'browse-in');
    for (let i = 0; i < 12; i += 1) await driver.put(`img${i}.json`, `{"values": [${i}]}`);
    await driver.put('sub/deep.json', '{"values": [99]}');
    await driver.close();
  });
  afterAll(async () => {
    await h?.close();
    await s3?.stop();
  });
  const s3Body = () => ({
    type: 's3',
    endpoint: s3.endpoint,
    access_key: s3.accessKeyId,
    secret_key: s3.secretAccessKey,
  });

  it('tests an S3 connection before it is saved: buckets listed, wrong keys refused with a clear message', async () => {
    const ok = await h.call({ method: 'POST', url: '/api/v1/connections/test', payload: s3Body() });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().buckets).toEqual(expect.arrayContaining(['browse-in', 'browse-empty']));
    const bad = await h.call({
      method: 'POST',
      url: '/api/v1/connections/test',
      payload: { ...s3Body(), secret_key: 'wrong-secret-key-000000000000' },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('STORAGE_UNREACHABLE');
    expect(bad.body).not.toContain('wrong-secret');
    const unknown = await h.call({
      method: 'POST',
      url: '/api/v1/connections/test',
      payload: { ...s3Body(), token: 'x' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(
      (
        await h.call({
          method: 'POST',
          url: '/api/v1/connections/test',
          payload: s3Body(),
          headers: { authorization: '' },
        })
      ).statusCode,
    ).toBe(401);
  });

  it('lists the buckets and objects of a stored S3 connection, with a count, and previews one object', async () => {
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'cos', ...s3Body() },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const buckets = await h.call({ method: 'GET', url: `/api/v1/connections/${id}/buckets` });
    expect(buckets.json().items).toEqual(expect.arrayContaining(['browse-in', 'browse-empty']));
    const list = await h.call({
      method: 'GET',
      url: `/api/v1/connections/cos/objects?bucket=browse-in&limit=5`,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().count).toBe(13);
    expect(list.json().count_capped).toBe(false);
    expect(list.json().items).toHaveLength(5);
    expect(list.json().items[0]).toMatchObject({ key: 'img0.json', size: 15 });
    const sub = await h.call({
      method: 'GET',
      url: `/api/v1/connections/cos/objects?bucket=browse-in&prefix=sub`,
    });
    expect(sub.json().items.map((i: { key: string }) => i.key)).toEqual(['deep.json']);
    const empty = await h.call({ method: 'GET', url: `/api/v1/connections/cos/objects?bucket=browse-empty` });
    expect(empty.json()).toMatchObject({ items: [], count: 0 });
    const missing = await h.call({
      method: 'GET',
      url: `/api/v1/connections/cos/objects?bucket=no-such-bucket`,
    });
    expect(missing.statusCode).toBe(404);
    const noBucket = await h.call({ method: 'GET', url: `/api/v1/connections/cos/objects` });
    expect(noBucket.statusCode).toBe(422);
    const preview = await h.call({
      method: 'GET',
      url: `/api/v1/connections/cos/object?bucket=browse-in&key=img3.json`,
    });
    expect(preview.json()).toEqual({ key: 'img3.json', size: 15, text: '{"values": [3]}', truncated: false });
    const none = await h.call({
      method: 'GET',
      url: `/api/v1/connections/cos/object?bucket=browse-in&key=nope.json`,
    });
    expect(none.statusCode).toBe(404);
    const dots = await h.call({
      method: 'GET',
      url: `/api/v1/connections/cos/object?bucket=browse-in&key=../x`,
    });
    expect(dots.statusCode).toBe(422);
    for (const body of h.bodies) expect(body).not.toContain(s3.secretAccessKey);
  });

  it('browses a local-folder connection: sub-folders as buckets, objects, preview', async () => {
    const root = join(h.dir, 'local-root');
    mkdirSync(join(root, 'inputs'), { recursive: true });
    mkdirSync(join(root, 'outputs'), { recursive: true });
    writeFileSync(join(root, 'inputs', 'a.json'), '{"values": [1]}');
    const tested = await h.call({
      method: 'POST',
      url: '/api/v1/connections/test',
      payload: { type: 'local', path: root },
    });
    expect(tested.json()).toEqual({ ok: true, buckets: ['inputs', 'outputs'] });
    const gone = await h.call({
      method: 'POST',
      url: '/api/v1/connections/test',
      payload: { type: 'local', path: join(root, 'nope') },
    });
    expect(gone.statusCode).toBe(404);
    await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'folder', type: 'local', path: root },
    });
    expect((await h.call({ method: 'GET', url: '/api/v1/connections/folder/buckets' })).json().items).toEqual(
      ['inputs', 'outputs'],
    );
    const list = await h.call({ method: 'GET', url: '/api/v1/connections/folder/objects?bucket=inputs' });
    expect(list.json()).toMatchObject({ count: 1, items: [{ key: 'a.json' }] });
    const preview = await h.call({
      method: 'GET',
      url: '/api/v1/connections/folder/object?bucket=inputs&key=a.json',
    });
    expect(preview.json().text).toBe('{"values": [1]}');
  });

  it('serves the web UI at / and its assets without an API key, and nothing else', async () => {
    const index = await h.app.inject({ method: 'GET', url: '/' });
    expect([200, 404]).toContain(index.statusCode);
    if (index.statusCode === 200) expect(index.headers['content-type']).toContain('text/html');
    else expect(index.body).toContain('npm run build');
    const traversal = await h.app.inject({ method: 'GET', url: '/assets/..%2F..%2Fpackage.json' });
    expect(traversal.statusCode).not.toBe(200);
    expect(traversal.body).not.toContain('"name": "keras-batch"');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(401);
  });
});
