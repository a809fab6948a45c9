import type { FastifyInstance } from 'fastify';
import type { KerasBatchService, NewConnectionInput } from '../../service/index.js';
import { connectionInput, errorResponses, idParams } from '../schemas.js';

const str = { type: 'string' } as const;
const placeQuery = {
  bucket: { type: 'string', minLength: 1, maxLength: 255 },
  prefix: { type: 'string', maxLength: 1024, default: '' },
} as const;

/**
 * `/api/v1/connections/...` browsing for the web UI: test a connection before saving it, list a stored
 * connection's buckets, the objects of a bucket (with a count), and a preview of one object. Keys are
 * unsealed in memory only and never returned.
 */
export function v1BrowseRoutes(app: FastifyInstance, service: KerasBatchService): void {
  const tags = ['connections'];

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
    async (req) => ({ ok: true, buckets: await service.connections.test(req.body as NewConnectionInput) }),
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
    async (req) => ({
      items: await service.connections.listBuckets((req.params as { id: string }).id),
    }),
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
      const q = req.query as { bucket?: string; prefix: string; limit: number };
      const place = { bucket: q.bucket ?? null, prefix: q.prefix ?? '' };
      return service.connections.listObjects((req.params as { id: string }).id, place, q.limit);
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
      const q = req.query as { bucket?: string; prefix: string; key: string };
      const place = { bucket: q.bucket ?? null, prefix: q.prefix ?? '' };
      return service.connections.previewObject((req.params as { id: string }).id, place, q.key);
    },
  );
}
