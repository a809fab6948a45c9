import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  BucketList,
  ConnectionInput,
  errorResponses,
  IdParams,
  ObjectListing,
  ObjectPreview,
  ObjectQuery,
  ObjectsQuery,
  TestResult,
} from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';

/**
 * `/api/v1/connections/...` browsing for the web UI: test a connection before saving it, list a stored
 * connection's buckets, the objects of a bucket (with a count), and a preview of one object. Keys are
 * unsealed in memory only and never returned.
 */
export function v1BrowseRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['connections'];

  app.post(
    '/api/v1/connections/test',
    {
      schema: {
        tags,
        summary: 'Try a connection before saving it: lists its buckets (S3) or sub-folders (local)',
        body: ConnectionInput,
        response: { 200: TestResult, ...errorResponses },
      },
    },
    async (req) => ({ ok: true, buckets: await service.connections.test(req.body) }),
  );

  app.get(
    '/api/v1/connections/:id/buckets',
    {
      schema: {
        tags,
        summary: "A stored connection's buckets (S3) or sub-folders (local)",
        params: IdParams,
        response: { 200: BucketList, ...errorResponses },
      },
    },
    async (req) => ({ items: await service.connections.listBuckets(req.params.id) }),
  );

  app.get(
    '/api/v1/connections/:id/objects',
    {
      schema: {
        tags,
        summary: 'Objects of a bucket/prefix: the first `limit` keys and how many there are',
        params: IdParams,
        querystring: ObjectsQuery,
        response: { 200: ObjectListing, ...errorResponses },
      },
    },
    async (req) => {
      const { bucket, prefix, limit } = req.query;
      const place = { bucket: bucket ?? null, prefix: prefix ?? '' };
      return service.connections.listObjects(req.params.id, place, limit ?? 100);
    },
  );

  app.get(
    '/api/v1/connections/:id/object',
    {
      schema: {
        tags,
        summary: 'A text preview of one object (its first 64 KiB)',
        params: IdParams,
        querystring: ObjectQuery,
        response: { 200: ObjectPreview, ...errorResponses },
      },
    },
    async (req) => {
      const { bucket, prefix, key } = req.query;
      const place = { bucket: bucket ?? null, prefix: prefix ?? '' };
      return service.connections.previewObject(req.params.id, place, key);
    },
  );
}
