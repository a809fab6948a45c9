import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  CascadeQuery,
  Connection,
  ConnectionInput,
  errorResponses,
  IdParams,
  NoContent,
  PageOf,
  PageQuery,
} from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';

/** `/api/v1/connections`: keys are write-only. */
export function v1ConnectionRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['connections'];
  app.get(
    '/api/v1/connections',
    { schema: { tags, querystring: PageQuery, response: { 200: PageOf(Connection), ...errorResponses } } },
    async (req) => service.listConnections(req.query),
  );
  app.post(
    '/api/v1/connections',
    {
      schema: {
        tags,
        summary: 'Store an S3/COS connection (keys sealed at rest, never returned) or a local folder',
        body: ConnectionInput,
        response: { 201: Connection, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await service.createConnection(req.body)),
  );
  app.get(
    '/api/v1/connections/:id',
    { schema: { tags, params: IdParams, response: { 200: Connection, ...errorResponses } } },
    async (req) => service.getConnection(req.params.id),
  );
  app.delete(
    '/api/v1/connections/:id',
    {
      schema: {
        tags,
        summary:
          'Delete a connection; refused (409, naming them) while deployments use it, unless `deployments=delete` (they go first, their job records deleted or kept)',
        params: IdParams,
        querystring: CascadeQuery,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deleteConnection(req.params.id, req.query);
      return reply.status(204).send();
    },
  );
}
