/**
 * The s3 driver against a real S3 server (versitygw on 127.0.0.1). Needs scripts/install-s3-server.sh;
 * without the server these tests fail, they are never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBucket } from '../../src/storage/open-bucket.js';
import { createS3Driver, type S3DriverOptions } from '../../src/storage/s3-driver.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';
import { collect, expectStorageError, registerConformanceTests } from './conformance.js';

const BUCKET = 'conformance';
let server: S3TestServer;
let n = 0;

beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket(BUCKET);
});

afterAll(async () => {
  await server?.stop();
});

const connection = (): Omit<S3DriverOptions, 'bucket'> => ({
  endpoint: server.endpoint,
  region: server.region,
  credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
});

registerConformanceTests({
  name: 's3',
  create: async () => createS3Driver({ ...connection(), bucket: BUCKET, prefix: `scope-${++n}` }),
  createMissing: async () => createS3Driver({ ...connection(), bucket: 'no-such-bucket' }),
  get secrets() {
    return [server.secretAccessKey];
  },
});

describe('s3 driver', () => {
  it('scopes keys to the prefix', async () => {
    const whole = createS3Driver({ ...connection(), bucket: BUCKET, prefix: 'scoped-root' });
    const a = openBucket(`s3://${BUCKET}/scoped-root/a`, { s3: connection() });
    const b = openBucket(`s3://${BUCKET}/scoped-root/b/`, { s3: connection() });
    try {
      await a.put('x.json', 'in a');
      await b.put('x.json', 'in b');
      expect((await collect(a)).keys).toEqual(['x.json']);
      expect(Buffer.from((await b.get('x.json')).body).toString()).toBe('in b');
      expect((await collect(whole)).keys).toEqual(['a/x.json', 'b/x.json']);
      expect(a.describe()).toBe(`s3://${BUCKET}/scoped-root/a/ @ ${server.endpoint}`);
    } finally {
      await Promise.all([whole.close(), a.close(), b.close()]);
    }
  });

  it('skips folder marker objects when listing', async () => {
    const whole = createS3Driver({ ...connection(), bucket: BUCKET, prefix: 'markers' });
    const raw = createS3Driver({ ...connection(), bucket: BUCKET });
    try {
      await whole.put('real.json', '{}');
      // A marker like the IBM COS console creates: a zero-byte key ending with '/'. The driver refuses
      // such keys, so write it with the SDK through a second scope.
      const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
      const client = new S3Client({ ...connection(), forcePathStyle: true });
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'markers/folder/', Body: new Uint8Array(0) }),
      );
      client.destroy();
      expect((await collect(whole)).keys).toEqual(['real.json']);
      expect((await collect(raw, 'markers/')).keys).toEqual(['markers/real.json']);
    } finally {
      await Promise.all([whole.close(), raw.close()]);
    }
  });

  it('accepts WML-style HMAC keys (access_key, secret_key, url)', async () => {
    const d = openBucket(`s3://${BUCKET}/wml`, {
      s3: {
        connection: {
          access_key: server.accessKeyId,
          secret_key: server.secretAccessKey,
          url: server.endpoint,
        },
      },
    });
    try {
      await d.put('img1.json', '{"values":[0]}');
      expect((await d.head('img1.json'))?.size).toBe(14);
      expect(d.describe()).not.toContain(server.secretAccessKey);
    } finally {
      await d.close();
    }
  });

  it('reports wrong credentials as STORAGE_ACCESS_DENIED without echoing them', async () => {
    const wrongSecret = 'definitely-wrong-secret-value-42';
    const d = createS3Driver({
      endpoint: server.endpoint,
      bucket: BUCKET,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: wrongSecret },
    });
    try {
      const error = await expectStorageError(d.get('a.json'), 'STORAGE_ACCESS_DENIED');
      expect(error.retryable).toBe(false);
      const everything = `${error.message} ${String((error.cause as Error | undefined)?.message)} ${d.describe()}`;
      expect(everything).not.toContain(wrongSecret);
      const unknownKey = createS3Driver({
        endpoint: server.endpoint,
        bucket: BUCKET,
        credentials: { accessKeyId: 'unknown-access-key', secretAccessKey: wrongSecret },
      });
      await expectStorageError(collect(unknownKey), 'STORAGE_ACCESS_DENIED');
      await unknownKey.close();
    } finally {
      await d.close();
    }
  });

  it('reports an unreachable endpoint as STORAGE_UNREACHABLE, retryable, after bounded attempts', async () => {
    const d = createS3Driver({
      ...connection(),
      endpoint: 'http://127.0.0.1:9', // discard port: nothing listens
      bucket: BUCKET,
      maxAttempts: 2,
      connectTimeoutMs: 1000,
    });
    try {
      const error = await expectStorageError(d.put('a.json', 'x'), 'STORAGE_UNREACHABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('127.0.0.1:9');
    } finally {
      await d.close();
    }
  });
});
