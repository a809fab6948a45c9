/**
 * Secrets never leave: a full scenario (connections with S3 keys, v3 deployments with inline keys, a job that
 * succeeds and one that fails on a wrong key, every GET and list) and then every response body, every log
 * line and the database file are searched for the secret values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import {
  EXAMPLE_INPUT,
  exampleModelBytes,
  exampleValues,
  type Harness,
  multipart,
  startHarness,
} from './api-harness.js';

describe('secrets never appear in responses, logs or the database', () => {
  let s3: S3TestServer;
  let h: Harness;
  beforeAll(async () => {
    s3 = await startS3Server();
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
    await s3?.stop();
  });

  it('full scenario, then grep', async () => {
    const wrongSecret = 'WRONG-secret-0123456789abcdefXYZ';
    await s3.createBucket('sec-in');
    await s3.createBucket('sec-out');
    const driver = testBucket(s3, 'sec-in');
    await driver.put('img1.json', readFileSync(EXAMPLE_INPUT));
    await driver.close();

    const m = (
      await h.call({
        method: 'POST',
        url: '/v3/wml_instances/s/published_models',
        ...multipart({ name: 'm', model: ['m.keras', exampleModelBytes()] }),
      })
    ).json();
    const conn = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: {
        name: 'cos',
        type: 's3',
        endpoint: s3.endpoint,
        access_key: s3.accessKeyId,
        secret_key: s3.secretAccessKey,
      },
    });
    expect(conn.statusCode).toBe(201);
    expect(conn.json().access_key_hint).toBe(`…${s3.accessKeyId.slice(-4)}`);
    const bad = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: {
        name: 'cos-bad',
        type: 's3',
        endpoint: s3.endpoint,
        access_key: s3.accessKeyId,
        secret_key: wrongSecret,
      },
    });
    expect(bad.statusCode).toBe(201);

    const base = `/v3/wml_instances/s/published_models/${m.metadata.guid}/deployments`;
    const inline = { access_key: s3.accessKeyId, secret_key: s3.secretAccessKey, url: s3.endpoint };
    const good = (
      await h.call({
        method: 'POST',
        url: base,
        payload: {
          name: 'good',
          type: 'batch',
          input: { type: 'cloudobjectstorage', source: { bucket: 'sec-in' }, connection: inline },
          output: { type: 'cloudobjectstorage', target: { bucket: 'sec-out' }, connection: inline },
        },
      })
    ).json();
    // Wrong keys for the target: saved (the source is fine), its job fails at once on the target.
    const wrong = (
      await h.call({
        method: 'POST',
        url: base,
        payload: {
          name: 'wrong',
          type: 'batch',
          input: { type: 'cloudobjectstorage', source: { bucket: 'sec-in' }, connection: inline },
          output: {
            type: 'cloudobjectstorage',
            target: { bucket: 'sec-out' },
            connection: { ...inline, secret_key: wrongSecret },
          },
        },
      })
    ).json();
    // Wrong keys for the source: refused at save, the keys named as the problem, never shown.
    const refused = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'refused',
        type: 'batch',
        model: 'm',
        source: { connection: 'cos-bad', bucket: 'sec-in' },
        target: { connection: 'cos', bucket: 'sec-out', prefix: 'refused' },
      },
    });
    expect(refused.statusCode, refused.body).toBe(422);
    const v1 = (
      await h.call({
        method: 'POST',
        url: '/api/v1/deployments',
        payload: {
          name: 'v1',
          type: 'batch',
          model: 'm',
          source: { connection: 'cos', bucket: 'sec-in' },
          target: { connection: 'cos-bad', bucket: 'sec-out', prefix: 'v1' },
        },
      })
    ).json();
    await h.service.jobs.idle();

    expect((await h.call({ method: 'GET', url: good.metadata.url })).json().entity.status).toBe('SUCCESS');
    const failed = (await h.call({ method: 'GET', url: wrong.metadata.url })).json();
    expect(failed.entity.status).toBe('FAILED');
    expect(failed.entity.status_details.job.message).toBeTruthy();
    expect((await h.call({ method: 'GET', url: `/api/v1/jobs/${v1.last_job.id}` })).json().status).toBe(
      'failed',
    );
    await h.call({
      method: 'POST',
      url: `${good.metadata.url}/online`,
      payload: { values: exampleValues() },
    });
    for (const url of [
      '/api/v1/connections',
      `/api/v1/connections/cos`,
      '/api/v1/deployments',
      '/api/v1/jobs',
      base,
      `/api/v1/deployments/${v1.id}`,
      `/api/v1/jobs/${v1.last_job.id}/failures`,
      '/metrics',
    ])
      expect((await h.call({ method: 'GET', url })).statusCode).toBe(200);
    // Errors carrying user input: a secret in a bad field must not be echoed either.
    await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: {
        type: 's3',
        endpoint: `http://${s3.secretAccessKey}@x`,
        access_key: 'a',
        secret_key: s3.secretAccessKey,
      },
    });

    const secrets = [s3.secretAccessKey, s3.accessKeyId, wrongSecret];
    for (const secret of secrets) {
      for (const body of h.bodies) expect(body).not.toContain(secret);
      for (const line of h.logs) expect(line).not.toContain(secret);
    }
    expect(h.logs.length).toBeGreaterThan(3);
    const dataDir = join(h.dir, 'data');
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('keras-batch.sqlite'))) {
      const bytes = readFileSync(join(dataDir, file)).toString('latin1');
      for (const secret of secrets) expect(bytes).not.toContain(secret);
    }
  });
});
