/**
 * What schemathesis found, one by one, in process (test/security/fuzz.slow.test.ts runs the fuzzer itself):
 * undeclared methods, malformed and repeated multipart parts, long path parameters and headers, and the
 * OpenAPI document's error content types, event schema and links.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        responses: Record<string, { content?: object; links?: Record<string, object> }>;
      }
    >
  >;
};

describe('schemathesis findings', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('a method a path does not have is 405 with Allow, with or without a body; no such path is 404', async () => {
    for (const method of ['TRACE', 'PUT', 'QUERY', 'OPTIONS'] as const) {
      const res = await h.call({ method: method as 'GET', url: '/api/v1/models/x' });
      expect([method, res.statusCode]).toEqual([method, 405]);
      expect(res.headers.allow).toBe('DELETE, GET, HEAD, PATCH');
      expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
    }
    // The static route wins over /connections/:id, as the router decides.
    const test = await h.call({ method: 'OPTIONS', url: '/api/v1/connections/test' });
    expect([test.statusCode, test.headers.allow]).toEqual([405, 'POST']);
    const withBody = await h.call({
      method: 'QUERY' as 'GET',
      url: '/health',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect([withBody.statusCode, withBody.headers.allow]).toEqual([405, 'GET, HEAD']);
    const none = await h.call({ method: 'QUERY' as 'GET', url: '/api/v1/nothing-here' });
    expect(none.statusCode).toBe(404);
    const anonymous = await h.app.inject({ method: 'TRACE' as 'GET', url: '/api/v1/models' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('a multipart body the parser cannot read is 400, as are a repeated field and a missing required part', async () => {
    const boundary = 'b0undary';
    const malformed = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\n[]--${boundary}--\r\n`,
    });
    expect(malformed.statusCode).toBe(400); // was a 500
    expect(malformed.json().error.message).toMatch(/^body: not well-formed multipart\/form-data/);
    for (const url of ['/api/v1/models', '/v3/wml_instances/i/published_models']) {
      const twice = await h.call({
        method: 'POST',
        url,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: [1, 2]
          .map((i) => `--${boundary}\r\nContent-Disposition: form-data; name="author"\r\n\r\na${i}\r\n`)
          .concat(`--${boundary}--\r\n`)
          .join(''),
      });
      expect([url, twice.statusCode, twice.json().error.message]).toEqual([
        url,
        400,
        'body: field "author" given twice',
      ]);
    }
    const noName = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ file: ['m.keras', exampleModelBytes()] }),
    });
    expect([noName.statusCode, noName.json().error.message]).toEqual([400, 'body: missing field "name"']);
    const empty = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'e', file: ['m.keras', new Uint8Array(0)] }),
    });
    expect([empty.statusCode, empty.json().error.code]).toEqual([422, 'MODEL_FILE_EMPTY']);
  });

  it('well-formed JSON with a __proto__ key is refused as 422 (it may match the schema); broken JSON is 400', async () => {
    const post = (payload: string) =>
      h.call({
        method: 'POST',
        url: '/api/v1/connections',
        headers: { 'content-type': 'application/json' },
        payload,
      });
    const proto = await post('{"type": "local", "__proto__": {"polluted": true}}');
    expect([proto.statusCode, proto.json().error.code]).toEqual([422, 'FORBIDDEN_KEY']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    const broken = await post('{"type": "local", "__proto__": ');
    expect([broken.statusCode, broken.json().error.code]).toEqual([400, 'INVALID_JSON']);
  });

  it('a path parameter within its maxLength reaches the route, a longer one is a 400 (was 414)', async () => {
    const within = await h.call({ method: 'GET', url: `/api/v1/jobs/${'j'.repeat(150)}` });
    expect(within.statusCode).toBe(404);
    const over = await h.call({ method: 'GET', url: `/api/v1/jobs/${'j'.repeat(300)}` });
    expect([over.statusCode, over.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('a request line over 64 KiB is a 431 in the one error shape; a 40 KiB one reaches validation', async () => {
    const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const headers = { authorization: `Bearer ${h.key}` };
    const long = await fetch(`${url}/api/v1/models?limit=${'9'.repeat(70_000)}`, { headers });
    expect(long.status).toBe(431);
    expect(((await long.json()) as { error: { code: string } }).error.code).toBe('HEADERS_TOO_LARGE');
    const fits = await fetch(`${url}/api/v1/models?limit=${'9'.repeat(40_000)}`, { headers });
    expect(fits.status).toBe(400);
  });

  it('the OpenAPI document: errors in JSON everywhere, the event schema, operation ids and links', async () => {
    const doc = (await h.call({ method: 'GET', url: '/openapi.json' })).json() as Doc;
    let operations = 0;
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        operations++;
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z]+_[A-Za-z0-9_]+$/);
        for (const [status, response] of Object.entries(op.responses))
          if (Number(status) >= 400)
            expect([path, status, Object.keys(response.content ?? {})]).toEqual([
              path,
              status,
              ['application/json'],
            ]);
      }
    expect(operations).toBeGreaterThan(30);
    const events = doc.paths['/api/v1/jobs/{id}/events'].get.responses['200'].content as Record<
      string,
      { schema: { required: string[] } }
    >;
    expect(Object.keys(events)).toEqual(['text/event-stream']);
    expect(events['text/event-stream'].schema.required).toEqual(['event', 'data']);
    const links = doc.paths['/api/v1/models'].post.responses['201'].links ?? {};
    expect(links.get_api_v1_models_id).toEqual({
      operationId: 'get_api_v1_models_id',
      parameters: { id: '$response.body#/model/id' },
    });
    expect(Object.keys(links).length).toBe(6);
  });
});
