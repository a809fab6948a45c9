import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  errorResponses,
  NoContent,
  PredictionsInput,
  PredictionsOutput,
  V4Deployment,
  V4DeploymentInput,
  V4DeploymentList,
  V4DeploymentParams,
  V4Job,
  V4JobDeleteQuery,
  V4JobInput,
  V4JobList,
  V4JobListQuery,
  V4JobParams,
  V4ListQuery,
  V4Query,
} from '../../contract/index.js';
import { type DeploymentView, type KerasBatchService, ServiceError } from '../../service/index.js';
import { ApiError } from '../errors.js';
import { requireRole } from '../roles.js';
import { originOf } from '../wml-client-views.js';
import { jobInputOf } from '../wml-v4-references.js';
import { v4Deployment, v4Job } from '../wml-v4-views.js';
import { freeName } from './free-name.js';
import { listOf } from './wml-v4.js';

const tags = ['wml v4'];

/**
 * WML v4 deployments, online predictions and deployment jobs, for IBM's `ibm-watson-machine-learning` client:
 * a deployment is ready at once (202 as WML answered); a batch deployment's jobs each name their own input
 * and output (or carry inline `input_data`) and run on the batch runner, `queued → running → completed |
 * failed | canceled`.
 */
export function wmlV4DeploymentRoutes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/ml/v4/deployments';

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Deploy a model: `online: {}` or `batch: {}` (a batch deployment runs deployment jobs)',
        querystring: V4Query,
        body: V4DeploymentInput,
        response: { 202: V4Deployment, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (Boolean(b.online) === Boolean(b.batch))
        throw new ApiError(422, 'VALIDATION_FAILED', 'body: give one of "online": {} or "batch": {}');
      const model = await service.getModel(b.asset.id);
      const d = await service.createDeployment({
        // WML allowed two deployments of one name; ours are unique, so a taken name is stored numbered.
        name: await freeName((n) => service.deployments.nameTaken(n), b.name, 'deployments'),
        description: b.description,
        type: b.batch ? 'batch' : 'online',
        model: model.id,
        jobPlaces: true,
        start: false,
      });
      return reply.status(202).send(v4Deployment(originOf(req), d));
    },
  );

  app.get(
    base,
    { schema: { tags, querystring: V4ListQuery, response: { 200: V4DeploymentList, ...errorResponses } } },
    async (req) => {
      const origin = originOf(req);
      const resources = [];
      let model = req.query.asset_id;
      if (model) {
        const found = await service.getModel(model).catch(() => undefined);
        if (!found) return listOf(base, []);
        model = found.id;
      }
      for (let offset = 0; ; offset += 1000) {
        const page = await service.listDeployments({ model, limit: 1000, offset });
        for (const d of page.items) resources.push(v4Deployment(origin, d));
        if (offset + 1000 >= page.total) break;
      }
      const named = req.query.name ? resources.filter((r) => r.entity.name === req.query.name) : resources;
      return listOf(base, named, req.query.limit);
    },
  );

  app.get(
    `${base}/:deployment_id`,
    {
      schema: {
        tags,
        params: V4DeploymentParams,
        querystring: V4Query,
        response: { 200: V4Deployment, ...errorResponses },
      },
    },
    async (req) => v4Deployment(originOf(req), await service.getDeployment(req.params.deployment_id)),
  );

  app.delete(
    `${base}/:deployment_id`,
    {
      schema: {
        tags,
        summary: 'Delete a deployment, its jobs and the connections they stored',
        params: V4DeploymentParams,
        querystring: V4Query,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deploymentJobs.deleteDeployment(req.params.deployment_id);
      return reply.status(204).send();
    },
  );

  app.post(
    `${base}/:deployment_id/predictions`,
    {
      schema: {
        tags,
        summary: 'Score `{"input_data": [{"values"}]}` online → `{"predictions": [{"fields", "values"}]}`',
        params: V4DeploymentParams,
        querystring: V4Query,
        body: PredictionsInput,
        response: { 200: PredictionsOutput, ...errorResponses },
      },
    },
    async (req) => {
      const started = performance.now();
      const d: DeploymentView = await service.getDeployment(req.params.deployment_id);
      const predictions = await service.deploymentJobs.predict(d.id, req.body.input_data);
      observe(
        (performance.now() - started) / 1000,
        predictions.reduce((n, p) => n + p.values.length, 0),
      );
      return { predictions };
    },
  );
  v4JobRoutes(app, service);
}

function v4JobRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/ml/v4/deployment_jobs';

  app.post(
    base,
    {
      schema: {
        tags,
        summary:
          'Start a job on a batch deployment: inline `scoring.input_data`, or `input_data_references` with an `output_data_reference`',
        querystring: V4Query,
        body: V4JobInput,
        response: { 202: V4Job, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { input, newConnection } = jobInputOf(
        req.body,
        req.body.name ?? `job ${new Date().toISOString()}`,
      );
      if (newConnection)
        requireRole(
          req,
          'admin',
          'a deployment job with inline connection keys or a local path (a new connection)',
        );
      const view = await service.deploymentJobs.create(input).catch((error: unknown) => {
        // An online deployment named in the body: the body cannot be used (422), as WML answers.
        if (error instanceof ServiceError && error.code === 'SERVICE_NOT_BATCH')
          throw new ApiError(422, 'VALIDATION_FAILED', `body.deployment: ${error.message}`);
        throw error;
      });
      return reply.status(202).send(v4Job(view));
    },
  );

  app.get(
    base,
    { schema: { tags, querystring: V4JobListQuery, response: { 200: V4JobList, ...errorResponses } } },
    async (req) => {
      const q = req.query;
      const page = await service.deploymentJobs.list({
        deployment: q.deployment_id,
        status: q.state ? [q.state] : undefined,
        limit: q.limit ?? 1000,
      });
      const out = listOf(base, page.items.map(v4Job), q.limit);
      return { ...out, total_count: page.total };
    },
  );

  app.get(
    `${base}/:job_id`,
    {
      schema: {
        tags,
        params: V4JobParams,
        querystring: V4Query,
        response: { 200: V4Job, ...errorResponses },
      },
    },
    async (req) => v4Job(await service.deploymentJobs.get(req.params.job_id)),
  );

  app.delete(
    `${base}/:job_id`,
    {
      schema: {
        tags,
        summary: 'Cancel a queued or running job; `hard_delete=true` also removes its record',
        params: V4JobParams,
        querystring: V4JobDeleteQuery,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deploymentJobs.delete(req.params.job_id, req.query.hard_delete === true);
      return reply.status(204).send();
    },
  );
}
