import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModelBytes, exampleValues, type Harness, multipart, startHarness } from './api-harness.js';

describe('/metrics, /openapi.json, /docs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('metrics: jobs by status, files, online latency histogram', async () => {
    await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'm', file: ['m.keras', exampleModelBytes()] }),
    });
    const d = (
      await h.call({
        method: 'POST',
        url: '/api/v1/deployments',
        payload: { name: 'o', type: 'online', model: 'm' },
      })
    ).json();
    await h.call({
      method: 'POST',
      url: `/api/v1/deployments/${d.id}/online`,
      payload: { values: exampleValues() },
    });
    const res = await h.call({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('keras_batch_jobs{status="completed"} 0');
    expect(res.body).toContain('keras_batch_online_scoring_seconds_count 1');
    expect(res.body).toContain('keras_batch_online_records_total 1');
    expect(res.body).toContain('# TYPE keras_batch_files_total counter');
  });

  it('the OpenAPI document lists every route with its schemas; /docs serves the UI', async () => {
    const res = await h.call({ method: 'GET', url: '/openapi.json' });
    const doc = res.json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/api/v1/models',
        '/api/v1/jobs/{id}/events',
        '/v3/wml_instances/{instance_id}/published_models',
        '/v3/wml_instances/{instance_id}/published_models/{published_model_id}/deployments/{deployment_id}/online',
      ]),
    );
    expect(
      doc.paths['/api/v1/models'].post.requestBody.content['multipart/form-data'].schema.properties.file
        .format,
    ).toBe('binary');
    expect(
      doc.paths['/api/v1/connections'].post.requestBody.content['application/json'].schema
        .additionalProperties,
    ).toBe(false);
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const docs = await h.call({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  it('--public-docs opens /docs and /openapi.json only', async () => {
    const open = await startHarness({ publicDocs: true });
    try {
      expect((await open.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
      expect((await open.app.inject({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });
});
