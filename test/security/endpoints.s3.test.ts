/**
 * Endpoint policy (SSRF) and no borrowed identity, against a real `serve` and a real S3 server on loopback: by
 * default a server's connections reach only https endpoints outside loopback, link-local (cloud metadata) and
 * private ranges, and the refused endpoint is never contacted; an allowed connection without keys sends unsigned
 * requests instead of the server's own AWS credentials.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointPolicy } from '../../src/service/endpoint-policy.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { api, LOOPBACK_S3, type ServeProcess, startServe } from '../helpers/serve-process.js';

describe('EndpointPolicy', () => {
  const strict = EndpointPolicy.of([]);
  it.each([
    'http://s3.example.com',
    'https://127.0.0.1:9000',
    'https://localhost',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.1.2.3',
    'https://192.168.0.10:443',
    'https://[::1]:9000',
    'https://[::ffff:127.0.0.1]',
    'https://0.0.0.0',
    'not a url',
  ])('refuses %s by default, naming the rule', async (endpoint) => {
    await expect(strict.check(endpoint)).rejects.toThrow(/is not allowed on this server: /);
  });
  it('allows a public https endpoint, no endpoint (AWS), and what a pattern names', async () => {
    await expect(strict.check('https://8.8.8.8')).resolves.toBeUndefined();
    await expect(strict.check(undefined)).resolves.toBeUndefined();
    const loopback = EndpointPolicy.of(['http://127.0.0.1:*']);
    await expect(loopback.check('http://127.0.0.1:9000')).resolves.toBeUndefined();
    await expect(loopback.check('https://8.8.8.8')).rejects.toThrow(/matches no --s3-endpoint-allow pattern/);
    await expect(EndpointPolicy.any().check('http://127.0.0.1:1')).resolves.toBeUndefined();
  });
});

describe('serve: connections reach only allowed endpoints, never with the server identity', () => {
  const work = mkdtempSync(join(tmpdir(), 'kb-endpoints-'));
  let s3: S3TestServer;
  let strict: ServeProcess;
  let loopback: ServeProcess;
  let probe: Server;
  let probeHits = 0;
  let probeUrl = '';

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('private-bucket');
    probe = createServer((_req, res) => {
      probeHits += 1;
      res.end('{"AccessKeyId": "ASIA-from-metadata"}');
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    probeUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // The server's own identity in its environment: what a keyless connection used to borrow.
    const identity = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    [strict, loopback] = await Promise.all([
      startServe(join(work, 'strict'), identity),
      startServe(join(work, 'loopback'), { ...identity, ...LOOPBACK_S3 }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([strict?.stop(), loopback?.stop()]);
    await new Promise((resolve) => probe?.close(resolve));
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a loopback or metadata endpoint is refused with 400 before any request is sent', async () => {
    const key = strict.printedKey as string;
    for (const endpoint of [probeUrl, s3.endpoint, 'http://169.254.169.254']) {
      const created = await api<{ error: { message: string } }>(strict, key, 'POST', '/api/v1/connections', {
        name: `c-${Math.random()}`,
        type: 's3',
        endpoint,
        access_key: 'a',
        secret_key: 'b',
      });
      expect([endpoint, created.status]).toEqual([endpoint, 422]);
      expect(created.body.error.message).toContain('is not allowed on this server');
      const tested = await api(strict, key, 'POST', '/api/v1/connections/test', { type: 's3', endpoint });
      expect(tested.status).toBe(422);
    }
    expect(probeHits).toBe(0);
  });

  it("a connection without keys does not borrow the server's AWS credentials", async () => {
    const key = loopback.printedKey as string;
    const conn = await api<{ id: string }>(loopback, key, 'POST', '/api/v1/connections', {
      name: 'keyless',
      type: 's3',
      endpoint: s3.endpoint,
    });
    expect(conn.status).toBe(201);
    const listed = await api(loopback, key, 'GET', `/api/v1/connections/${conn.body.id}/buckets`);
    expect(listed.status).toBe(422); // unsigned: the S3 server refuses, it does not list the private bucket
    expect(listed.text).not.toContain('private-bucket');
    const objects = await api(
      loopback,
      key,
      'GET',
      `/api/v1/connections/${conn.body.id}/objects?bucket=private-bucket`,
    );
    expect([403, 404, 422]).toContain(objects.status);
  });
});
