import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

describe('auth, validation and the error shape', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxUploadBytes: 64 * 1024, bodyLimit: 4096 });
  });
  afterAll(() => h.close());

  it('/health needs no key', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: 'sqlite' });
  });

  const protectedRoutes = [
    ['GET', '/api/v1/models'],
    ['POST', '/api/v1/connections'],
    ['GET', '/api/v1/jobs/x'],
    ['GET', '/metrics'],
    ['GET', '/openapi.json'],
    ['GET', '/docs'],
    ['GET', '/v3/wml_instances/i/published_models'],
    ['POST', '/v3/wml_instances/i/published_models/m/deployments/d/online'],
  ] as const;

  for (const [method, url] of protectedRoutes) {
    it(`${method} ${url}: 401 without a key, with a wrong key and with a malformed header, all alike`, async () => {
      const answers = await Promise.all(
        [
          undefined,
          'Bearer kb_wrongwrongwrongwrong',
          `Basic ${Buffer.from('user:kb_wrongwrongwrongwrong').toString('base64')}`,
          'Bearer a.b.c',
          h.key,
          'Bearer ',
        ].map((authorization) =>
          h.app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } }),
        ),
      );
      for (const res of answers) {
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        const error = {
          code: 'UNAUTHORIZED',
          message: 'a valid API key is required (Authorization: Bearer <key>)',
        };
        // The WML routes add WML's fields to the same body.
        expect(res.json()).toEqual(
          url.startsWith('/v3/')
            ? { error, errors: [error], trace: expect.stringMatching(/^req-/) }
            : { error },
        );
      }
    });
  }

  it('unknown fields, wrong types and missing fields are 400 with the field named', async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { type: 'local', path: '/tmp', colour: 'red' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'body: unknown field "colour"' },
    });
    res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { type: 's3', access_key: 5 },
    });
    expect(res.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'body.access_key: must be string',
    });
    res = await h.call({ method: 'POST', url: '/api/v1/deployments', payload: { name: 'x', type: 'batch' } });
    expect(res.json().error.message).toBe('body: missing field "model"');
    res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: { name: 'x', type: 'weekly', model: 'm' },
    });
    expect(res.json().error.message).toBe('body.type: must be one of "batch", "online"');
    res = await h.call({ method: 'GET', url: '/api/v1/models?limit=0' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    res = await h.call({ method: 'GET', url: '/api/v1/models?sort=name' });
    expect(res.json().error.message).toBe('query: unknown field "sort"');
    res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      headers: { 'content-type': 'application/json' },
      payload: '{"type":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_JSON');
  });

  it('oversize bodies and uploads are 413', async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { type: 'local', path: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const upload = multipart({ name: 'big', file: ['big.keras', exampleModelBytes()] });
    res = await h.call({ method: 'POST', url: '/api/v1/models', ...upload });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: 'the uploaded file "file" is over the upload limit of 64 KiB (serve --max-upload)',
      },
    });
  });

  it('unknown routes are 404 in the same shape; non-multipart uploads 415', async () => {
    let res = await h.call({ method: 'GET', url: '/api/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    res = await h.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'x' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
