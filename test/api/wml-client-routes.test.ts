/**
 * What IBM's WML clients need beyond the seed's REST flow, in-process: tokens and the credentials every route
 * takes, the two-step model store of /v3/ml_assets/models, instance-wide deployments, WML's error fields and
 * empty bodies on body-less requests. The real v3 client runs against a real server in ibm-v3-client.slow.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { SignJWT } from 'jose';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromContent } from '../../src/api/model-archive.js';
import { tokenSigningKey } from '../../src/service/tokens-service.js';
import { repoRoot } from '../helpers/shared.js';
import {
  EXAMPLE_INPUT,
  exampleModelBytes,
  exampleValues,
  type Harness,
  startHarness,
} from './api-harness.js';

const H5 = new Uint8Array(readFileSync(join(repoRoot, 'examples', 'models', 'mnist-cnn.h5')));
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64').toString('utf8'));

async function tarGz(files: Record<string, Uint8Array>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(Buffer.from(c as Uint8Array)));
  const ended = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const [name, bytes] of Object.entries(files)) p.entry({ name }, Buffer.from(bytes));
  p.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

describe('routes for IBM WML clients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('tokens: Basic key → JWT naming the key, usable as Bearer; refresh; refused when wrong, expired, foreign or of a deleted key', async () => {
    for (const url of ['/v3/identity/token', '/v2/identity/token']) {
      const res = await h.app.inject({
        method: 'GET',
        url,
        headers: { authorization: basic('anyone', h.key) },
      });
      expect(res.statusCode).toBe(200);
      const { token } = res.json();
      const c = claims(token);
      const [key] = await h.service.keys.list();
      expect(c.sub).toBe(key.id);
      expect(c.exp - Math.floor(Date.now() / 1000)).toBeGreaterThan(11.9 * 3600);
      // The v3 client decodes the payload with plain base64: no base64url-only characters.
      expect(token.split('.')[1]).toMatch(/^[A-Za-z0-9]+$/);
      const models = await h.app.inject({
        method: 'GET',
        url: '/api/v1/models',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(models.statusCode).toBe(200);
    }
    const { token } = (
      await h.app.inject({
        method: 'GET',
        url: '/v3/identity/token',
        headers: { authorization: basic('u', h.key) },
      })
    ).json();
    const refreshed = await h.app.inject({ method: 'PUT', url: '/v3/identity/token', payload: { token } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().token).not.toBe(token);
    expect(claims(refreshed.json().token).sub).toBe(claims(token).sub);

    for (const authorization of [`Basic ${h.key}`, `Bearer ${h.key}`, basic('', h.key)]) {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/models', headers: { authorization } });
      expect([authorization.slice(0, 6), res.statusCode]).toEqual([authorization.slice(0, 6), 200]);
    }

    const refused = async (authorization?: string) => {
      const res = await h.app.inject({
        method: 'GET',
        url: '/api/v1/models',
        headers: authorization ? { authorization } : {},
      });
      return res.statusCode;
    };
    const noToken = await h.app.inject({
      method: 'GET',
      url: '/v3/identity/token',
      headers: { authorization: basic('u', 'kb_not_a_key_at_all') },
    });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json()).toMatchObject({
      error: { code: 'UNAUTHORIZED' },
      errors: [{ code: 'UNAUTHORIZED' }],
    });
    expect((await h.app.inject({ method: 'GET', url: '/v3/identity/token' })).statusCode).toBe(401);
    expect(
      (
        await h.app.inject({
          method: 'PUT',
          url: '/v3/identity/token',
          payload: { token: 'garbage.garbage.garbage' },
        })
      ).statusCode,
    ).toBe(401);

    const secret = readFileSync(join(h.dir, 'data', 'secret.key'), 'utf8').trim();
    const ours = tokenSigningKey(Buffer.from(secret, 'hex'));
    const sub = claims(token).sub;
    const sign = (key: Uint8Array, exp: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuer('keras-batch')
        .setExpirationTime(exp)
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    expect(await refused(`Bearer ${await sign(ours, now + 600)}`)).toBe(200); // the test signs as the server does
    expect(await refused(`Bearer ${await sign(ours, now - 10)}`)).toBe(401); // expired
    expect(await refused(`Bearer ${await sign(new Uint8Array(32).fill(7), now + 600)}`)).toBe(401); // another key
    expect(
      (
        await h.app.inject({
          method: 'PUT',
          url: '/v3/identity/token',
          payload: { token: await sign(ours, now - 10) },
        })
      ).statusCode,
    ).toBe(401);

    const other = await h.service.keys.create('short-lived');
    const otherToken = (
      await h.app.inject({
        method: 'GET',
        url: '/v3/identity/token',
        headers: { authorization: basic('u', other.key) },
      })
    ).json().token;
    await h.service.keys.delete(other.id);
    expect(await refused(`Bearer ${otherToken}`)).toBe(401);
  });

  it('ml_assets: announce, then PUT a tar.gz / zip / bare file; same names allowed; bad archives 422 with WML errors', async () => {
    const origin = 'http://localhost:80';
    const announce = async (name: string) => {
      const res = await h.call({
        method: 'POST',
        url: '/v3/ml_assets/models',
        payload: {
          name,
          framework: { name: 'tensorflow', version: '1.5', libraries: [{ name: 'keras', version: '2.1.3' }] },
          author: {},
        },
      });
      expect(res.statusCode).toBe(201);
      return res.json();
    };
    const put = (contentUrl: string, payload: Buffer | Uint8Array) =>
      h.call({
        method: 'PUT',
        url: contentUrl.replace(origin, ''),
        headers: { 'content-type': 'application/octet-stream' },
        payload: Buffer.from(payload),
      });

    const a = await announce('digits');
    expect(a.entity).toMatchObject({ name: 'digits', status: 'pending' });
    // Announced, no file yet: the model is there, its content is not (409 saying where to PUT it, not 404).
    const early = await h.call({ method: 'GET', url: `/v3/ml_assets/models/${a.metadata.guid}/content` });
    expect([early.statusCode, early.json().error.message]).toEqual([
      409,
      expect.stringContaining(`/v3/ml_assets/models/${a.metadata.guid}/versions/${a.metadata.guid}/content`),
    ]);
    expect(a.entity.model_version.content_url).toMatch(
      new RegExp(`^${origin}/v3/ml_assets/models/${a.metadata.guid}/versions/.+/content$`),
    );
    let res = await put(
      a.entity.model_version.content_url,
      await tarGz({ 'mnist-cnn.h5': H5, '._mnist-cnn.h5': new Uint8Array(4) }),
    );
    expect(res.statusCode).toBe(200);
    res = await h.call({ method: 'GET', url: `/v3/ml_assets/models/${a.metadata.guid}` });
    expect(res.json().entity).toMatchObject({
      name: 'digits',
      status: 'stored',
      framework: { name: 'keras' },
    });
    res = await h.call({ method: 'GET', url: `/v3/wml_instances/x/published_models/${a.metadata.guid}` });
    expect(res.statusCode).toBe(200);
    // Downloads: the stored file back in a tar.gz (the version id of the announcement is the model's own).
    for (const url of [
      `/v3/ml_assets/models/${a.metadata.guid}/content`,
      a.entity.model_version.content_url.replace(origin, ''),
    ]) {
      res = await h.call({ method: 'GET', url });
      expect([url, res.statusCode, res.headers['content-type']]).toEqual([url, 200, 'application/gzip']);
      expect(await modelFromContent(res.rawPayload)).toEqual({
        name: 'mnist-cnn.h5',
        bytes: Buffer.from(H5),
      });
    }

    const b = await announce('digits');
    expect(
      (await put(b.entity.model_version.content_url, zipSync({ 'model/mnist.h5': H5 }))).statusCode,
    ).toBe(200);
    const c = await announce('digits');
    expect((await put(c.entity.model_version.content_url, exampleModelBytes())).statusCode).toBe(200); // a bare .keras
    const d = await announce('digits');
    expect((await put(d.entity.model_version.content_url, H5)).statusCode).toBe(200); // a bare .h5
    const names = [];
    for (const m of [a, b, c, d]) names.push((await h.service.getModel(m.metadata.guid)).name);
    expect(names).toEqual(['digits', 'digits (2)', 'digits (3)', 'digits (4)']);

    const e = await announce('broken');
    res = await put(e.entity.model_version.content_url, await tarGz({ 'a.h5': H5, 'b.h5': H5 }));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      error: {
        code: 'MODEL_ARCHIVE_INVALID',
        message: 'the tar.gz holds 2 model files (a.h5, b.h5); upload one',
      },
      errors: [{ code: 'MODEL_ARCHIVE_INVALID' }],
      trace: expect.any(String),
    });
    res = await put(e.entity.model_version.content_url, await tarGz({ 'notes.txt': Buffer.from('hi') }));
    expect(res.json().error.message).toBe('the tar.gz holds no .h5, .hdf5 or .keras file (found: notes.txt)');
    res = await put(e.entity.model_version.content_url, Buffer.from('not a model'));
    expect(res.statusCode).toBe(422);

    for (const m of [a, b, c, d, e]) {
      res = await h.call({
        method: 'DELETE',
        url: `/v3/ml_assets/models/${m.metadata.guid}`,
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      expect(res.statusCode).toBe(204);
    }
    res = await h.call({ method: 'GET', url: `/v3/ml_assets/models/${a.metadata.guid}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ errors: [{ code: 'REPO_NOT_FOUND' }] });
  });

  it('instance deployments: online (DEPLOY_SUCCESS, absolute scoring_url) and batch (the seed payload), list, get, delete', async () => {
    const res0 = await h.call({ method: 'GET', url: '/v3/wml_instances/inst' });
    expect(res0.json().entity.published_models.url).toBe(
      'http://localhost:80/v3/wml_instances/inst/published_models',
    );
    const a = (
      await h.call({ method: 'POST', url: '/v3/ml_assets/models', payload: { name: 'seed' } })
    ).json();
    await h.call({
      method: 'PUT',
      url: a.entity.model_version.content_url.replace('http://localhost:80', ''),
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from(H5),
    });
    const modelUrl = `http://localhost:80/v3/wml_instances/inst/published_models/${a.metadata.guid}`;
    let res = await h.call({
      method: 'POST',
      url: '/v3/wml_instances/inst/deployments?sync=false',
      payload: { name: 'online', description: 'd', type: 'online', deployable_asset_url: modelUrl },
    });
    expect(res.statusCode).toBe(202); // as WML answered ?sync=false
    const online = res.json();
    expect(online.entity).toMatchObject({
      status: 'DEPLOY_SUCCESS',
      model_type: expect.stringMatching(/^keras-/),
      deployable_asset: { guid: a.metadata.guid, url: modelUrl, type: 'model' },
    });
    expect(online.metadata.url).toBe(
      `http://localhost:80/v3/wml_instances/inst/deployments/${online.metadata.guid}`,
    );
    expect(online.entity.scoring_url).toBe(`${modelUrl}/deployments/${online.metadata.guid}/online`);
    res = await h.call({
      method: 'POST',
      url: online.entity.scoring_url.replace('http://localhost:80', ''),
      payload: { values: exampleValues() },
    });
    expect(res.json().values[0][1]).toBe(7);

    const dir = join(h.dir, 'inst');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'img1.json'), readFileSync(EXAMPLE_INPUT));
    res = await h.call({
      method: 'POST',
      url: '/v3/wml_instances/inst/deployments',
      payload: {
        name: 'batch',
        type: 'batch',
        published_model: { guid: a.metadata.guid },
        input: { type: 'local', source: { path: join(dir, 'in') } },
        output: { type: 'local', target: { path: join(dir, 'out') } },
      },
    });
    expect(res.statusCode).toBe(201);
    const batch = res.json();
    expect(batch.entity).toMatchObject({ type: 'batch', scoring_url: null });
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: `/v3/wml_instances/inst/deployments/${batch.metadata.guid}` });
    expect(res.json().entity.status).toBe('SUCCESS');
    expect(JSON.parse(readFileSync(join(dir, 'out', 'img1.json'), 'utf8'))['img1.json'].values[1]).toBe(7);

    res = await h.call({ method: 'GET', url: '/v3/wml_instances/inst/deployments?limit=1' });
    expect(res.json().count).toBe(1);
    res = await h.call({ method: 'GET', url: '/v3/wml_instances/inst/deployments' });
    expect(
      res
        .json()
        .resources.map((d: { metadata: { guid: string } }) => d.metadata.guid)
        .sort(),
    ).toEqual([online.metadata.guid, batch.metadata.guid].sort());
    res = await h.call({
      method: 'POST',
      url: '/v3/wml_instances/inst/deployments',
      payload: { name: 'x', type: 'online', deployable_asset_url: 'http://h/nothing' },
    });
    expect(res.statusCode).toBe(422); // a string as the schema says, but no model's URL
    expect(res.json().errors[0].message).toMatch(/deployable_asset_url/);

    for (const d of [online, batch]) {
      res = await h.call({
        method: 'DELETE',
        url: `/v3/wml_instances/inst/deployments/${d.metadata.guid}`,
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      expect(res.statusCode).toBe(204);
    }
    res = await h.call({ method: 'GET', url: `/v3/wml_instances/inst/deployments/${online.metadata.guid}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: { code: 'REPO_NOT_FOUND' },
      errors: [{ code: 'REPO_NOT_FOUND' }],
      trace: expect.any(String),
    });
  });

  it('body-less requests take an empty body whatever the Content-Type; bodies stay required where a route takes one', async () => {
    const conn = async () =>
      (
        await h.call({
          method: 'POST',
          url: '/api/v1/connections',
          payload: { name: `c${Math.random()}`, type: 's3', endpoint: 'https://s3.example.com' },
        })
      ).json().id;
    for (const type of [
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ]) {
      const res = await h.call({
        method: 'DELETE',
        url: `/api/v1/connections/${await conn()}`,
        headers: { 'content-type': type },
        payload: '',
      });
      expect([type, res.statusCode]).toEqual([type, 204]);
    }
    // A POST without a body schema (cancel a job): empty JSON is no body, so the route answers (404 here).
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/jobs/nope/cancel',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.json().error.code).toBe('REPO_NOT_FOUND');
    res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.json().error.code).toBe('INVALID_JSON');
    res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      headers: { 'content-type': 'application/xml' },
      payload: '<x/>',
    });
    expect([res.statusCode, res.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('every route that takes no body accepts an empty one, JSON or not (routes read from the OpenAPI document)', async () => {
    await h.app.ready();
    const doc = h.app.swagger() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    const tried: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        // The model content upload takes raw bytes (an empty one is a 422 naming it).
        if (method === 'get' || method === 'head' || op.requestBody || path.endsWith('/content')) continue;
        const url = path.replace(/\{[a-z_]+\}/g, 'nope');
        for (const type of ['application/json', 'text/plain', 'application/xml']) {
          const res = await h.call({
            method: method.toUpperCase() as 'POST',
            url,
            headers: { 'content-type': type },
            payload: '',
          });
          const code = res.json().error?.code;
          expect([method, path, type, code]).not.toEqual([method, path, type, 'INVALID_JSON']);
          expect([method, path, type, res.statusCode]).not.toEqual([method, path, type, 415]);
          expect([method, path, type, res.statusCode]).not.toEqual([method, path, type, 500]);
        }
        tried.push(`${method} ${path}`);
      }
    expect(tried).toContain('delete /v3/ml_assets/models/{model_id}');
    expect(tried).toContain('delete /v3/wml_instances/{instance_id}/deployments/{deployment_id}');
    expect(tried).toContain('post /api/v1/jobs/{id}/cancel');
    expect(tried.length).toBeGreaterThan(8);
  });

  it('v4 client start-up: /ml/wml_services/version without a key; POST /icp4d-api/v1/authorize → a token', async () => {
    for (const url of ['/ml/wml_services/version', '/ml/wml_services/v2/version']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ version: '4.8.0', service: 'keras-batch' });
    }
    for (const body of [
      { username: 'admin', api_key: h.key },
      { username: 'admin', password: h.key },
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/icp4d-api/v1/authorize', payload: body });
      expect(res.statusCode).toBe(200);
      const { token } = res.json();
      const models = await h.app.inject({
        method: 'GET',
        url: '/api/v1/models',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(models.statusCode).toBe(200);
    }
    for (const body of [{ username: 'admin', api_key: 'kb_not_a_key_at_all' }, { username: 'admin' }]) {
      const res = await h.app.inject({ method: 'POST', url: '/icp4d-api/v1/authorize', payload: body });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }], trace: expect.any(String) });
    }
  });
});
