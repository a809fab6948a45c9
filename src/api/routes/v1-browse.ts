import { readdir, stat } from 'node:fs/promises';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import type { ConnectionRow, SecretBox } from '../../repository/index.js';
import type { ConnectionKeys } from '../../service/connection-drivers.js';
import { openPlace } from '../../service/connection-drivers.js';
import type { KerasBatchService } from '../../service/index.js';
import { isStorageError } from '../../storage/index.js';
import { KerasBatchError } from '../../util/errors.js';
import { ApiError } from '../errors.js';
import { connectionInput, errorResponses, idParams } from '../schemas.js';

/** Largest preview of one object, in bytes. */
const PREVIEW_BYTES = 64 * 1024;
/** Most objects counted by a listing. */
const COUNT_CAP = 100_000;

const str = { type: 'string' } as const;
const placeQuery = {
  bucket: { type: 'string', minLength: 1, maxLength: 255 },
  prefix: { type: 'string', maxLength: 1024, default: '' },
} as const;

/** The sealed keys of a stored connection (the service keeps its box private; the web UI needs to browse). */
const boxOf = (service: KerasBatchService) => (service as unknown as { box: SecretBox }).box;

const storageFailure = (error: unknown): never => {
  if (error instanceof ApiError) throw error;
  if (isStorageError(error)) {
    const notFound = error.code === 'STORAGE_NOT_FOUND';
    throw new ApiError(notFound ? 404 : 400, error.code, error.message.replace(/^\[[a-z]+\] /, ''));
  }
  if (error instanceof KerasBatchError) throw error;
  const name = error instanceof Error ? error.name : 'Error';
  throw new ApiError(400, 'STORAGE_UNREACHABLE', `the storage could not be reached (${name})`);
};

async function listBuckets(
  row: Pick<ConnectionRow, 'kind' | 'endpoint' | 'region' | 'path'>,
  keys: ConnectionKeys | null,
): Promise<string[]> {
  if (row.kind === 'local') {
    const root = row.path ?? '/';
    const info = await stat(root).catch(() => null);
    if (!info?.isDirectory())
      throw new ApiError(404, 'STORAGE_NOT_FOUND', `the folder ${root} does not exist on the server`);
    const entries = await readdir(root, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  }
  const client = new S3Client({
    endpoint: row.endpoint ?? undefined,
    region: row.region ?? 'us-east-1',
    forcePathStyle: Boolean(row.endpoint),
    credentials: keys ? { accessKeyId: keys.access_key, secretAccessKey: keys.secret_key } : undefined,
    maxAttempts: 1,
  });
  try {
    const out = await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(10_000) });
    return (out.Buckets ?? []).map((b) => b.Name ?? '').filter(Boolean);
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    throw new ApiError(
      400,
      'STORAGE_UNREACHABLE',
      status === 403 || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch'
        ? 'the endpoint refused the keys (check the access key and secret key)'
        : `the endpoint could not list buckets (${e.name ?? 'error'}${status ? `, HTTP ${status}` : ''})`,
    );
  } finally {
    client.destroy();
  }
}

/**
 * `/api/v1/connections/...` browsing for the web UI: test a connection before saving it, list a stored
 * connection's buckets, the objects of a bucket (with a count), and a preview of one object. Keys are
 * unsealed in memory only and never returned.
 */
export function v1BrowseRoutes(app: FastifyInstance, service: KerasBatchService): void {
  const tags = ['connections'];
  const keysOf = (row: ConnectionRow): ConnectionKeys | null =>
    row.secret ? (JSON.parse(boxOf(service).open(row.secret, row.id)) as ConnectionKeys) : null;

  app.post(
    '/api/v1/connections/test',
    {
      schema: {
        tags,
        summary: 'Try a connection before saving it: lists its buckets (S3) or sub-folders (local)',
        body: connectionInput,
        response: {
          200: {
            type: 'object',
            properties: { ok: { type: 'boolean' }, buckets: { type: 'array', items: str } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const b = req.body as {
        type: 's3' | 'local';
        endpoint?: string;
        region?: string;
        access_key?: string;
        secret_key?: string;
        path?: string;
      };
      if (b.type === 'local' && !b.path)
        throw new ApiError(400, 'SERVICE_INVALID', 'a local connection needs a path');
      if (b.type === 's3' && b.endpoint && !/^https?:\/\/[^\s/]+/.test(b.endpoint))
        throw new ApiError(400, 'SERVICE_INVALID', 'the endpoint must be an http:// or https:// URL');
      const keys =
        b.access_key && b.secret_key ? { access_key: b.access_key, secret_key: b.secret_key } : null;
      const buckets = await listBuckets(
        { kind: b.type, endpoint: b.endpoint ?? null, region: b.region ?? null, path: b.path ?? null },
        keys,
      );
      return { ok: true, buckets };
    },
  );

  app.get(
    '/api/v1/connections/:id/buckets',
    {
      schema: {
        tags,
        summary: "A stored connection's buckets (S3) or sub-folders (local)",
        params: idParams,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: str } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const row = await service.repo.connections.get((req.params as { id: string }).id);
      return { items: await listBuckets(row, keysOf(row)) };
    },
  );

  app.get(
    '/api/v1/connections/:id/objects',
    {
      schema: {
        tags,
        summary: 'Objects of a bucket/prefix: the first `limit` keys and how many there are',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { ...placeQuery, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { key: str, size: { type: 'integer' }, last_modified: str },
                },
              },
              count: { type: 'integer' },
              count_capped: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const row = await service.repo.connections.get((req.params as { id: string }).id);
      const q = req.query as { bucket?: string; prefix: string; limit: number };
      if (row.kind === 's3' && !q.bucket) throw new ApiError(400, 'SERVICE_INVALID', 'choose a bucket');
      const driver = (() => {
        try {
          return openPlace(row, { bucket: q.bucket ?? null, prefix: q.prefix ?? '' }, boxOf(service));
        } catch (error) {
          return storageFailure(error);
        }
      })();
      const items: { key: string; size: number; last_modified: string }[] = [];
      let count = 0;
      try {
        for await (const page of driver.list()) {
          for (const e of page) {
            count += 1;
            if (items.length < q.limit)
              items.push({ key: e.key, size: e.size, last_modified: e.lastModified.toISOString() });
          }
          if (count >= COUNT_CAP) break;
        }
      } catch (error) {
        storageFailure(error);
      } finally {
        await driver.close();
      }
      return { items, count, count_capped: count >= COUNT_CAP };
    },
  );

  app.get(
    '/api/v1/connections/:id/object',
    {
      schema: {
        tags,
        summary: 'A text preview of one object (its first 64 KiB)',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { ...placeQuery, key: { type: 'string', minLength: 1, maxLength: 2048 } },
          required: ['key'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { key: str, size: { type: 'integer' }, text: str, truncated: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const row = await service.repo.connections.get((req.params as { id: string }).id);
      const q = req.query as { bucket?: string; prefix: string; key: string };
      if (row.kind === 's3' && !q.bucket) throw new ApiError(400, 'SERVICE_INVALID', 'choose a bucket');
      if (q.key.split('/').some((s) => s === '..' || s === '.'))
        throw new ApiError(400, 'SERVICE_INVALID', '"." and ".." are not allowed in a key');
      let driver: ReturnType<typeof openPlace> | undefined;
      try {
        driver = openPlace(row, { bucket: q.bucket ?? null, prefix: q.prefix ?? '' }, boxOf(service));
        const info = await driver.head(q.key);
        if (!info) throw new ApiError(404, 'STORAGE_NOT_FOUND', `no object ${q.key}`);
        if (info.size > 16 * 1024 * 1024) return { key: q.key, size: info.size, text: '', truncated: true };
        const obj = await driver.get(q.key);
        const truncated = obj.body.byteLength > PREVIEW_BYTES;
        const text = new TextDecoder().decode(obj.body.subarray(0, PREVIEW_BYTES));
        return { key: q.key, size: obj.size, text, truncated };
      } catch (error) {
        return storageFailure(error);
      } finally {
        await driver?.close();
      }
    },
  );
}
