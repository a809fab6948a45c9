import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  Deployment,
  DeploymentDeleteQuery,
  DeploymentInput,
  DeploymentPatch,
  DeploymentQuery,
  errorResponses,
  IdParams,
  Job,
  NoContent,
  PageOf,
} from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';
import { onlineSchema, replyScored } from './online.js';

/** `/api/v1/deployments`: create (a batch deployment starts a job), list, show, run again, delete, score online. */
export function v1DeploymentRoutes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['deployments'];
  app.get(
    '/api/v1/deployments',
    {
      schema: {
        tags,
        querystring: DeploymentQuery,
        response: { 200: PageOf(Deployment), ...errorResponses },
      },
    },
    async (req) => service.listDeployments(req.query),
  );
  app.post(
    '/api/v1/deployments',
    {
      schema: {
        tags,
        summary: 'Create a deployment; a batch deployment starts its first job at once',
        body: DeploymentInput,
        response: { 201: Deployment, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await service.createDeployment(req.body)),
  );
  app.get(
    '/api/v1/deployments/:id',
    { schema: { tags, params: IdParams, response: { 200: Deployment, ...errorResponses } } },
    async (req) => service.getDeployment(req.params.id),
  );
  app.patch(
    '/api/v1/deployments/:id',
    {
      schema: {
        tags,
        summary:
          'Edit a deployment: name (unique), description, options (replaced whole), the model version it uses',
        params: IdParams,
        body: DeploymentPatch,
        response: { 200: Deployment, ...errorResponses },
      },
    },
    async (req) => service.updateDeployment(req.params.id, req.body),
  );
  app.delete(
    '/api/v1/deployments/:id',
    {
      schema: {
        tags,
        summary:
          'Delete a deployment (its unfinished jobs are canceled first); its job records are deleted or kept (`jobs`), the outputs in its target never',
        params: IdParams,
        querystring: DeploymentDeleteQuery,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deleteDeployment(req.params.id, req.query.jobs);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/deployments/:id/run',
    {
      schema: {
        tags,
        summary: 'Run a batch deployment again (a new job)',
        params: IdParams,
        response: { 202: Job, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await service.runDeployment(req.params.id)),
  );
  app.post('/api/v1/deployments/:id/online', { schema: onlineSchema(IdParams, tags) }, async (req, reply) =>
    replyScored(reply, service, observe, performance.now(), req.params.id, req.body.values),
  );
}
