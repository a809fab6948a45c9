import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_INPUT,
  exampleModelBytes,
  exampleValues,
  type Harness,
  multipart,
  startHarness,
} from './api-harness.js';

describe('WML v3-compatible routes', () => {
  let h: Harness;
  const base = '/v3/wml_instances/inst-1/published_models';
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('published models: multipart upload with meta, list, get, delete', async () => {
    let res = await h.call({
      method: 'POST',
      url: base,
      ...multipart({
        meta: JSON.stringify({ name: 'keras-mnist', description: 'digits', author: { name: 'ann' } }),
        model: ['mnist-cnn.keras', exampleModelBytes()],
      }),
    });
    expect(res.statusCode).toBe(201);
    const m = res.json();
    expect(m.metadata.url).toBe(`${base}/${m.metadata.guid}`);
    expect(m.entity).toMatchObject({
      name: 'keras-mnist',
      description: 'digits',
      author: { name: 'ann' },
      framework: { name: 'keras' },
      deployments: { count: 0 },
    });
    res = await h.call({ method: 'GET', url: base });
    expect(res.json()).toMatchObject({ count: 1, resources: [{ metadata: { guid: m.metadata.guid } }] });
    res = await h.call({ method: 'GET', url: `${base}/${m.metadata.guid}` });
    expect(res.json().entity.name).toBe('keras-mnist');
    res = await h.call({
      method: 'POST',
      url: base,
      ...multipart({ meta: '{not json', model: ['m.keras', exampleModelBytes()] }),
    });
    expect(res.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'body: field "meta" is not valid JSON',
    });
    res = await h.call({ method: 'DELETE', url: `${base}/${m.metadata.guid}` });
    expect(res.statusCode).toBe(204);
    res = await h.call({ method: 'GET', url: `${base}/${m.metadata.guid}` });
    expect(res.statusCode).toBe(404);
  });

  it('deployments: the local-folder extension, INITIALIZING → SUCCESS, list, online, delete', async () => {
    const m = (
      await h.call({
        method: 'POST',
        url: base,
        ...multipart({ name: 'digits', model: ['mnist-cnn.keras', exampleModelBytes()] }),
      })
    ).json();
    const dir = join(h.dir, 'v3');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'img1.json'), readFileSync(EXAMPLE_INPUT));
    const url = `${base}/${m.metadata.guid}/deployments`;
    let res = await h.call({
      method: 'POST',
      url,
      payload: {
        name: 'batch',
        description: 'x',
        type: 'batch',
        input: { type: 'local', source: { path: join(dir, 'in') } },
        output: { type: 'local', target: { path: join(dir, 'out') } },
      },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d.entity).toMatchObject({
      name: 'batch',
      type: 'batch',
      status: 'INITIALIZING',
      published_model: { guid: m.metadata.guid, name: 'digits' },
    });
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: d.metadata.url });
    expect(res.json().entity).toMatchObject({
      status: 'SUCCESS',
      status_details: { status: 'SUCCESS', job: { status: 'completed', counts: { scored: 1 } } },
      input: { type: 'local', source: { path: join(dir, 'in') } },
    });
    const out = JSON.parse(readFileSync(join(dir, 'out', 'img1.json'), 'utf8'));
    expect(out['img1.json'].fields).toEqual(['prediction', 'prediction_classes', 'probability']);

    res = await h.call({ method: 'GET', url });
    expect(res.json().count).toBe(1);
    res = await h.call({
      method: 'POST',
      url: `${d.metadata.url}/online`,
      payload: { fields: ['image'], values: exampleValues() },
    });
    expect(res.json().values[0][1]).toBe(out['img1.json'].values[1]);
    res = await h.call({ method: 'GET', url: `${base}/not-this-model/deployments/${d.metadata.guid}` });
    expect(res.statusCode).toBe(404);

    res = await h.call({
      method: 'POST',
      url,
      payload: {
        name: 'x',
        type: 'batch',
        input: { type: 'cloudobjectstorage', source: { bucket: 'in' } },
        output: { type: 'local', target: { path: '/tmp/x' } },
      },
    });
    expect(res.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'body.input: missing field "connection"',
    });
    res = await h.call({
      method: 'POST',
      url,
      payload: {
        name: 'x',
        type: 'batch',
        input: {
          type: 'cloudobjectstorage',
          source: { bucket: 'in' },
          connection: { access_key: 'a', secret_key: 'b', url: 'http://x', token: 't' },
        },
      },
    });
    expect(res.json().error.message).toBe('body.input.connection: unknown field "token"');
    res = await h.call({ method: 'POST', url, payload: { name: 'x', type: 'batch' } });
    expect(res.json().error.message).toMatch(/missing field "input"/);

    // Inline connections are stored with the deployment in one transaction: a refused one leaves none behind.
    const connections = async () =>
      (await h.call({ method: 'GET', url: '/api/v1/connections' })).json().total;
    const before = await connections();
    res = await h.call({
      method: 'POST',
      url,
      payload: {
        name: 'loop',
        type: 'batch',
        input: { type: 'local', source: { path: join(dir, 'in') } },
        output: { type: 'local', target: { path: join(dir, 'in', 'out') } },
      },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('SERVICE_OVERLAP');
    expect(await connections()).toBe(before);
    res = await h.call({
      method: 'POST',
      url,
      payload: {
        name: 'bad-endpoint',
        type: 'batch',
        input: { type: 'local', source: { path: join(dir, 'in') } },
        output: {
          type: 'cloudobjectstorage',
          target: { bucket: 'out' },
          connection: { access_key: 'a', secret_key: 'b', url: 'ftp://not-http' },
        },
      },
    });
    expect(res.statusCode).toBe(422);
    expect(await connections()).toBe(before);

    res = await h.call({ method: 'DELETE', url: d.metadata.url });
    expect(res.statusCode).toBe(204);
    res = await h.call({ method: 'GET', url: '/api/v1/connections' });
    expect(res.json().total).toBe(0);
  });
});
