import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import { checkKey, checkPrefix, toBytes } from './keys.js';
import { createS3Client, resolveS3Options, type S3DriverOptions, safeEndpoint } from './s3-config.js';
import { isTransientTransportError, s3Error } from './s3-errors.js';
import type {
  BucketDriver,
  ListOptions,
  ObjectEntry,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  StoredObject,
} from './types.js';

export type { S3Credentials, S3DriverOptions, WmlCosConnection } from './s3-config.js';

/** S3 quotes ETags; entries carry them bare. */
const bareEtag = (etag: string | undefined): string => (etag ?? '').replace(/^(W\/)?"(.*)"$/, '$2');

/**
 * An S3-compatible bucket (IBM COS, AWS S3, MinIO, ...) through `@aws-sdk/client-s3`, scoped to a prefix:
 * keys are relative to it. Requests are retried by the SDK's standard strategy (throttling, 5xx, timeouts,
 * connection resets) up to `maxAttempts`; a body cut off mid-read is fetched again within the same bound.
 * No credential appears in errors or in `describe()`.
 */
export function createS3Driver(options: S3DriverOptions): BucketDriver {
  const o = resolveS3Options(options);
  const { client, agents } = createS3Client(o);
  const secrets = [o.credentials?.secretAccessKey, o.credentials?.sessionToken, o.credentials?.accessKeyId];
  const description = `s3://${o.bucket}/${o.prefix} @ ${safeEndpoint(o.endpoint, o.region)}`;
  let closed = false;

  const ensureOpen = () => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `the s3 driver for ${description} is closed`);
  };
  const fullKey = (key: string) => o.prefix + checkKey(key, description);
  const fail = (error: unknown, op: string, key?: string) =>
    s3Error(
      error,
      `${op} ${key === undefined ? '' : `${JSON.stringify(key)} in `}${description}`,
      secrets,
      key,
    );

  const get = async (key: string): Promise<StoredObject> => {
    ensureOpen();
    const Key = fullKey(key);
    for (let attempt = 1; ; attempt++) {
      let out: GetObjectCommandOutput;
      try {
        out = await client.send(new GetObjectCommand({ Bucket: o.bucket, Key }));
      } catch (error) {
        throw fail(error, 'get', key);
      }
      try {
        if (!out.Body) throw Object.assign(new Error('empty response body'), { code: 'ECONNRESET' });
        const body = await out.Body.transformToByteArray();
        if (out.ContentLength !== undefined && body.byteLength !== out.ContentLength) {
          throw Object.assign(new Error(`body cut short: ${body.byteLength} of ${out.ContentLength} bytes`), {
            code: 'ECONNRESET',
          });
        }
        return {
          key,
          body,
          size: body.byteLength,
          etag: bareEtag(out.ETag),
          lastModified: out.LastModified ?? new Date(0),
          contentType: out.ContentType,
        };
      } catch (error) {
        if (attempt < o.maxAttempts && isTransientTransportError(error)) {
          await sleep(Math.min(100 * 2 ** attempt, 5_000) * Math.random());
          continue;
        }
        throw fail(error, 'get', key);
      }
    }
  };

  const put = async (key: string, body: PutBody, putOptions: PutOptions = {}): Promise<PutResult> => {
    ensureOpen();
    const bytes = toBytes(body);
    try {
      const out = await client.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: fullKey(key),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: putOptions.contentType,
        }),
      );
      return { etag: out.ETag === undefined ? undefined : bareEtag(out.ETag) };
    } catch (error) {
      throw fail(error, 'put', key);
    }
  };

  const head = async (key: string): Promise<ObjectInfo | null> => {
    ensureOpen();
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: fullKey(key) }));
      return {
        size: out.ContentLength ?? 0,
        etag: bareEtag(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
        contentType: out.ContentType,
      };
    } catch (error) {
      const mapped = fail(error, 'head', key);
      if (mapped.code === 'STORAGE_NOT_FOUND') return null;
      throw mapped;
    }
  };

  const del = async (key: string): Promise<void> => {
    ensureOpen();
    try {
      await client.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: fullKey(key) }));
    } catch (error) {
      const mapped = fail(error, 'delete', key);
      if (mapped.code === 'STORAGE_NOT_FOUND' && (error as { name?: string }).name === 'NoSuchKey') return;
      throw mapped;
    }
  };

  async function* list(prefix = '', listOptions: ListOptions = {}): AsyncGenerator<ObjectEntry[]> {
    ensureOpen();
    checkPrefix(prefix, description);
    const pageSize = listOptions.pageSize ?? o.pageSize;
    const paginator = paginateListObjectsV2(
      { client, ...(pageSize === undefined ? {} : { pageSize }) },
      { Bucket: o.bucket, Prefix: o.prefix + prefix },
    );
    const iterator = paginator[Symbol.asyncIterator]();
    try {
      for (;;) {
        listOptions.signal?.throwIfAborted();
        let step: IteratorResult<ListObjectsV2CommandOutput>;
        try {
          step = await iterator.next();
        } catch (error) {
          throw fail(error, 'list');
        }
        if (step.done) return;
        ensureOpen();
        const page: ObjectEntry[] = [];
        for (const item of step.value.Contents ?? []) {
          if (!item.Key || item.Key.endsWith('/')) continue; // folder markers are not objects
          page.push({
            key: item.Key.slice(o.prefix.length),
            size: item.Size ?? 0,
            etag: bareEtag(item.ETag),
            lastModified: item.LastModified ?? new Date(0),
          });
        }
        if (page.length > 0) yield page;
      }
    } finally {
      await iterator.return?.(undefined);
    }
  }

  return {
    kind: 's3',
    list,
    get,
    put,
    head,
    delete: del,
    describe: () => description,
    close: async () => {
      if (closed) return;
      closed = true;
      client.destroy();
      for (const agent of agents) agent.destroy();
    },
  };
}
