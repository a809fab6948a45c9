import { createS3Client, resolveS3Options, type S3DriverOptions, safeEndpoint } from './s3-config.js';
import { type S3Context, s3Delete, s3Get, s3Head, s3List, s3Put } from './s3-ops.js';
import { s3GetStream, s3PutStream } from './s3-stream.js';
import type { BucketDriver } from './types.js';

export type { S3Credentials, S3DriverOptions, WmlCosConnection } from './s3-config.js';

/**
 * An S3-compatible bucket (IBM COS, AWS S3, MinIO, ...) through `@aws-sdk/client-s3`, scoped to a prefix:
 * keys are relative to it. Requests are retried by the SDK's standard strategy (throttling, 5xx, timeouts,
 * connection resets) up to `maxAttempts`; a body cut off mid-read is fetched again within the same bound.
 * No credential appears in errors or in `describe()`.
 */
export function createS3Driver(options: S3DriverOptions): BucketDriver {
  const o = resolveS3Options(options);
  const { client, agents } = createS3Client(o);
  const ctx: S3Context = {
    o,
    client,
    description: `s3://${o.bucket}/${o.prefix} @ ${safeEndpoint(o.endpoint, o.region)}`,
    secrets: [o.credentials?.secretAccessKey, o.credentials?.sessionToken, o.credentials?.accessKeyId],
    closed: false,
  };
  return {
    kind: 's3',
    list: (prefix, listOptions) => s3List(ctx, prefix, listOptions),
    get: (key) => s3Get(ctx, key),
    put: (key, body, putOptions) => s3Put(ctx, key, body, putOptions),
    getStream: (key, range) => s3GetStream(ctx, key, range),
    putStream: (key, body, putOptions) => s3PutStream(ctx, key, body, putOptions),
    head: (key) => s3Head(ctx, key),
    delete: (key) => s3Delete(ctx, key),
    describe: () => ctx.description,
    close: async () => {
      if (ctx.closed) return;
      ctx.closed = true;
      client.destroy();
      for (const agent of agents) agent.destroy();
    },
  };
}
