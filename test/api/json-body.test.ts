/** JSON bodies: nesting bounded before parsing (no 500 on 10,000-deep arrays), empty DELETE bodies accepted. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH } from '../../src/api/json-body.js';
import { type Harness, startHarness } from './api-harness.js';

describe('JSON request bodies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('counts nesting outside strings', () => {
    expect(jsonDepth('{"values": [[1, 2], [3]]}')).toBe(3);
    expect(jsonDepth('{"s": "[[[[{{{{\\"[["}')).toBe(1);
    expect(jsonDepth('[]')).toBe(1);
    expect(jsonDepth('1')).toBe(0);
  });

  it('a body nested deeper than the limit is a 400 naming it, on every JSON route', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    for (const url of [
      '/api/v1/connections',
      '/api/v1/deployments/x/online',
      '/v3/wml_instances/i/published_models/m/deployments/d/online',
    ]) {
      const res = await h.call({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: `{"values": ${deep}}`,
      });
      expect([url, res.statusCode]).toEqual([url, 400]);
      expect(res.json().error).toEqual({
        code: 'INVALID_JSON',
        message: `the JSON body is nested more than ${MAX_JSON_DEPTH} deep`,
      });
    }
    const ok = `${'['.repeat(MAX_JSON_DEPTH - 1)}0${']'.repeat(MAX_JSON_DEPTH - 1)}`;
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      headers: { 'content-type': 'application/json' },
      payload: `{"type": ${ok}}`,
    });
    expect(res.json().error.code).toBe('VALIDATION_FAILED'); // parsed, then refused by the schema
  });

  it('an empty JSON body on DELETE is no body; elsewhere it is still an error', async () => {
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'gone', type: 's3', endpoint: 'https://s3.example.com' },
    });
    expect(created.statusCode).toBe(201);
    const del = await h.call({
      method: 'DELETE',
      url: `/api/v1/connections/${created.json().id}`,
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(del.statusCode).toBe(204);
    const post = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(post.statusCode).toBe(400);
    expect(post.json().error.code).toBe('INVALID_JSON');
  });

  it('an offset beyond 2^31 is a 400, not a database error', async () => {
    for (const url of ['/api/v1/models', '/api/v1/jobs', '/api/v1/connections', '/api/v1/deployments']) {
      const res = await h.call({ method: 'GET', url: `${url}?offset=9007199254740993` });
      expect([url, res.statusCode]).toEqual([url, 400]);
    }
  });
});
