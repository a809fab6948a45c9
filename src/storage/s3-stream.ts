import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import { bareEtag, ensureOpen, fail, fullKey, type S3Context, s3Put } from './s3-ops.js';
import {
  type ByteRange,
  bodyFailure,
  markBodyErrors,
  type ObjectStream,
  type PutOptions,
  type PutResult,
} from './types.js';

/** Parts of a streamed upload: S3 wants at least 5 MiB per part but the last. */
export const S3_PART_BYTES = 8 * 1024 * 1024;

/**
 * Opens an object's body (or `range` of it: an HTTP range request) as a stream. A connection lost mid-body fails
 * the read (the caller retries it whole).
 */
export async function s3GetStream(ctx: S3Context, key: string, range?: ByteRange): Promise<ObjectStream> {
  ensureOpen(ctx);
  let out: GetObjectCommandOutput;
  const Range = range ? `bytes=${range.start}-${range.end - 1}` : undefined;
  try {
    out = await ctx.client.send(
      new GetObjectCommand({ Bucket: ctx.o.bucket, Key: fullKey(ctx, key), Range }),
    );
  } catch (error) {
    throw fail(ctx, error, 'get', key);
  }
  const stream = out.Body as AsyncIterable<Uint8Array> | undefined;
  if (!stream)
    throw fail(ctx, Object.assign(new Error('empty response body'), { code: 'ECONNRESET' }), 'get', key);
  const expected = out.ContentLength;
  async function* body(): AsyncGenerator<Uint8Array> {
    let seen = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        seen += chunk.byteLength;
        yield chunk;
      }
    } catch (error) {
      throw fail(ctx, error, 'get', key);
    }
    if (expected !== undefined && seen !== expected) {
      const cut = Object.assign(new Error(`body cut short: ${seen} of ${expected} bytes`), {
        code: 'ECONNRESET',
      });
      throw fail(ctx, cut, 'get', key);
    }
  }
  // A ranged response's length is the range's; `Content-Range: bytes a-b/size` has the object's.
  const total = range ? Number(/\/(\d+)$/.exec(out.ContentRange ?? '')?.[1] ?? Number.NaN) : expected;
  return {
    key,
    size: Number.isFinite(total) ? (total as number) : (expected ?? 0),
    etag: bareEtag(out.ETag),
    lastModified: out.LastModified ?? new Date(0),
    contentType: out.ContentType,
    body: body(),
  };
}

/**
 * Writes chunks as one object: a single PUT when the whole fits in one part, else a multipart upload of
 * {@link S3_PART_BYTES} parts, completed only once every part is in (aborted on failure): whole or absent.
 */
export async function s3PutStream(
  ctx: S3Context,
  key: string,
  body: AsyncIterable<Uint8Array | string>,
  options: PutOptions = {},
): Promise<PutResult> {
  ensureOpen(ctx);
  const Bucket = ctx.o.bucket;
  const Key = fullKey(ctx, key);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  const parts: { ETag: string | undefined; PartNumber: number }[] = [];
  const take = () => {
    const part = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return part;
  };
  const sendPart = async (part: Buffer) => {
    if (uploadId === undefined) {
      const created = await ctx.client.send(
        new CreateMultipartUploadCommand({ Bucket, Key, ContentType: options.contentType }),
      );
      uploadId = created.UploadId;
    }
    const PartNumber = parts.length + 1;
    const out = await ctx.client.send(
      new UploadPartCommand({
        Bucket,
        Key,
        UploadId: uploadId,
        PartNumber,
        Body: part,
        ContentLength: part.length,
      }),
    );
    parts.push({ ETag: out.ETag, PartNumber });
  };
  try {
    for await (const chunk of markBodyErrors(body)) {
      const bytes =
        typeof chunk === 'string'
          ? Buffer.from(chunk)
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= S3_PART_BYTES) await sendPart(take());
    }
    if (uploadId === undefined) return await s3Put(ctx, key, take(), options);
    if (pendingBytes > 0) await sendPart(take());
    const done = await ctx.client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return { etag: done.ETag === undefined ? undefined : bareEtag(done.ETag) };
  } catch (error) {
    if (uploadId !== undefined) {
      await ctx.client
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
        .catch(() => undefined);
    }
    const failed = bodyFailure(error);
    if (failed) throw failed.error;
    if (error instanceof StorageError) throw error;
    throw fail(ctx, error, 'put', key);
  }
}
