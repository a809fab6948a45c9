import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  ApiKey,
  ApiKeyCreated,
  ApiKeyInput,
  AuditEntry,
  AuditQuery,
  errorResponses,
  IdParams,
  Me,
  NoContent,
  PageOf,
} from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';
import { ApiError } from '../errors.js';

/** `/api/v1/keys` (admin), `/api/v1/audit` (admin) and `/api/v1/me` (any key). */
export function v1KeyRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['keys'];
  app.get(
    '/api/v1/me',
    {
      schema: {
        tags,
        summary: 'The key of the request: its id, name and role (what the web UI shows and hides)',
        response: { 200: Me, ...errorResponses },
      },
    },
    async (req) => {
      if (!req.apiKey) throw new ApiError(401, 'UNAUTHORIZED', 'a valid API key is required');
      return req.apiKey;
    },
  );
  app.get(
    '/api/v1/keys',
    {
      schema: {
        tags,
        summary: 'API keys (their first characters and role, never the key)',
        response: { 200: Type.Object({ items: Type.Array(ApiKey) }), ...errorResponses },
      },
    },
    async () => ({ items: await service.keys.list() }),
  );
  app.post(
    '/api/v1/keys',
    {
      schema: {
        tags,
        summary: 'Create an API key with a role; the key is in this answer only',
        body: ApiKeyInput,
        response: { 201: ApiKeyCreated, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id, key, role } = await service.keys.create(req.body.name, req.body.role);
      return reply.status(201).send({ id, name: req.body.name.trim(), role, key });
    },
  );
  app.delete(
    '/api/v1/keys/:id',
    {
      schema: {
        tags,
        summary:
          'Delete an API key (it stops working within 30 s on every server; the last admin key is refused)',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.keys.delete(req.params.id, { keepAnAdmin: true });
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/v1/audit',
    {
      schema: {
        tags,
        summary: 'The audit log of write requests, newest first: who, what, when, outcome',
        querystring: AuditQuery,
        response: { 200: PageOf(AuditEntry), ...errorResponses },
      },
    },
    async (req) => service.keys.audit(req.query),
  );
}
