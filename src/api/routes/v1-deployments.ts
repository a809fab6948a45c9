import type { FastifyInstance } from 'fastify';
import type { KerasBatchService, NewDeploymentInput } from '../../service/index.js';
import {
  deploymentInput,
  deploymentSchema,
  errorResponses,
  idParams,
  jobSchema,
  pageOf,
  pageQuery,
} from '../schemas.js';
import { onlineRoute } from './online.js';

/** `/api/v1/deployments`: create (a batch deployment starts a job), list, show, run again, delete, score online. */
export function v1DeploymentRoutes(
  app: FastifyInstance,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
): void {
  const tags = ['deployments'];
  app.get(
    '/api/v1/deployments',
    {
      schema: {
        tags,
        querystring: {
          ...pageQuery,
          properties: {
            ...pageQuery.properties,
            model: { type: 'string', minLength: 1, description: 'model id or name' },
          },
        },
        response: { 200: pageOf(deploymentSchema), ...errorResponses },
      },
    },
    async (req) => service.listDeployments(req.query as { limit: number; offset: number; model?: string }),
  );
  app.post(
    '/api/v1/deployments',
    {
      schema: {
        tags,
        summary: 'Create a deployment; a batch deployment starts its first job at once',
        body: deploymentInput,
        response: { 201: deploymentSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await service.createDeployment(req.body as NewDeploymentInput)),
  );
  app.get(
    '/api/v1/deployments/:id',
    { schema: { tags, params: idParams, response: { 200: deploymentSchema, ...errorResponses } } },
    async (req) => service.getDeployment((req.params as { id: string }).id),
  );
  app.delete(
    '/api/v1/deployments/:id',
    {
      schema: {
        tags,
        summary: 'Delete a deployment (its unfinished jobs are canceled first)',
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deleteDeployment((req.params as { id: string }).id);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/deployments/:id/run',
    {
      schema: {
        tags,
        summary: 'Run a batch deployment again (a new job)',
        params: idParams,
        response: { 202: jobSchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(202).send(await service.runDeployment((req.params as { id: string }).id)),
  );
  onlineRoute(app, service, '/api/v1/deployments/:id/online', idParams, tags, observe, async (p) => p.id);
}
