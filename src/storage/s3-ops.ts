import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import { checkKey, checkPrefix, toBytes } from './keys.js';
import type { ResolvedS3Options } from './s3-config.js';
import { isTransientTransportError, s3Error } from './s3-errors.js';
import type {
  ListOptions,
  ObjectEntry,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  StoredObject,
} from './types.js';

/** What one S3 driver's operations share: its settings, its client and whether it was closed. */
export interface S3Context {
  readonly o: ResolvedS3Options;
  readonly client: S3Client;
  /** `s3://bucket/prefix @ endpoint`, without credentials: for errors and `describe()`. */
  readonly description: string;
  /** Values never to show in an error message. */
  readonly secrets: (string | undefined)[];
  closed: boolean;
}

/** S3 quotes ETags; entries carry them bare. */
export const bareEtag = (etag: string | undefined): string => (etag ?? '').replace(/^(W\/)?"(.*)"$/, '$2');

export function ensureOpen(ctx: S3Context): void {
  if (ctx.closed) throw new StorageError('STORAGE_CLOSED', `the s3 driver for ${ctx.description} is closed`);
}

export const fullKey = (ctx: S3Context, key: string) => ctx.o.prefix + checkKey(key, ctx.description);

export const fail = (ctx: S3Context, error: unknown, op: string, key?: string) =>
  s3Error(
    error,
    `${op} ${key === undefined ? '' : `${JSON.stringify(key)} in `}${ctx.description}`,
    ctx.secrets,
    key,
  );

/** Gets an object; a body cut off mid-read is fetched again, up to `maxAttempts` in all. */
export async function s3Get(ctx: S3Context, key: string): Promise<StoredObject> {
  ensureOpen(ctx);
  const { o, client } = ctx;
  const Key = fullKey(ctx, key);
  for (let attempt = 1; ; attempt++) {
    let out: GetObjectCommandOutput;
    try {
      out = await client.send(new GetObjectCommand({ Bucket: o.bucket, Key }));
    } catch (error) {
      throw fail(ctx, error, 'get', key);
    }
    try {
      return await readBody(key, out);
    } catch (error) {
      if (attempt < o.maxAttempts && isTransientTransportError(error)) {
        await sleep(Math.min(100 * 2 ** attempt, 5_000) * Math.random());
        continue;
      }
      throw fail(ctx, error, 'get', key);
    }
  }
}

async function readBody(key: string, out: GetObjectCommandOutput): Promise<StoredObject> {
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
}

export async function s3Put(
  ctx: S3Context,
  key: string,
  body: PutBody,
  putOptions: PutOptions = {},
): Promise<PutResult> {
  ensureOpen(ctx);
  const bytes = toBytes(body);
  try {
    const out = await ctx.client.send(
      new PutObjectCommand({
        Bucket: ctx.o.bucket,
        Key: fullKey(ctx, key),
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: putOptions.contentType,
      }),
    );
    return { etag: out.ETag === undefined ? undefined : bareEtag(out.ETag) };
  } catch (error) {
    throw fail(ctx, error, 'put', key);
  }
}

export async function s3Head(ctx: S3Context, key: string): Promise<ObjectInfo | null> {
  ensureOpen(ctx);
  try {
    const out = await ctx.client.send(
      new HeadObjectCommand({ Bucket: ctx.o.bucket, Key: fullKey(ctx, key) }),
    );
    return {
      size: out.ContentLength ?? 0,
      etag: bareEtag(out.ETag),
      lastModified: out.LastModified ?? new Date(0),
      contentType: out.ContentType,
    };
  } catch (error) {
    const mapped = fail(ctx, error, 'head', key);
    if (mapped.code === 'STORAGE_NOT_FOUND') return null;
    throw mapped;
  }
}

export async function s3Delete(ctx: S3Context, key: string): Promise<void> {
  ensureOpen(ctx);
  try {
    await ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.o.bucket, Key: fullKey(ctx, key) }));
  } catch (error) {
    const mapped = fail(ctx, error, 'delete', key);
    if (mapped.code === 'STORAGE_NOT_FOUND' && (error as { name?: string }).name === 'NoSuchKey') return;
    throw mapped;
  }
}

export async function* s3List(
  ctx: S3Context,
  prefix = '',
  listOptions: ListOptions = {},
): AsyncGenerator<ObjectEntry[]> {
  ensureOpen(ctx);
  const { o, client } = ctx;
  checkPrefix(prefix, ctx.description);
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
        throw fail(ctx, error, 'list');
      }
      if (step.done) return;
      ensureOpen(ctx);
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
