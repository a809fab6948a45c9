import type { FastifyInstance } from 'fastify';
import type { KerasBatchService, NewConnectionInput } from '../../service/index.js';
import {
  connectionInput,
  connectionSchema,
  errorResponses,
  idParams,
  pageOf,
  pageQuery,
} from '../schemas.js';

/** `/api/v1/connections`: keys are write-only. */
export function v1ConnectionRoutes(app: FastifyInstance, service: KerasBatchService): void {
  const tags = ['connections'];
  app.get(
    '/api/v1/connections',
    {
      schema: {
        tags,
        querystring: pageQuery,
        response: { 200: pageOf(connectionSchema), ...errorResponses },
      },
    },
    async (req) => service.listConnections(req.query as { limit: number; offset: number }),
  );
  app.post(
    '/api/v1/connections',
    {
      schema: {
        tags,
        summary: 'Store an S3/COS connection (keys sealed at rest, never returned) or a local folder',
        body: connectionInput,
        response: { 201: connectionSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await service.createConnection(req.body as NewConnectionInput)),
  );
  app.get(
    '/api/v1/connections/:id',
    { schema: { tags, params: idParams, response: { 200: connectionSchema, ...errorResponses } } },
    async (req) => service.getConnection((req.params as { id: string }).id),
  );
  app.delete(
    '/api/v1/connections/:id',
    { schema: { tags, params: idParams, response: { 204: { type: 'null' }, ...errorResponses } } },
    async (req, reply) => {
      await service.deleteConnection((req.params as { id: string }).id);
      return reply.status(204).send();
    },
  );
}
