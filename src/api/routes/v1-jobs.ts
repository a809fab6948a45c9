import type { FastifyInstance } from 'fastify';
import { JOB_STATUSES, type JobStatus, type JobView, type KerasBatchService } from '../../service/index.js';
import { errorResponses, failureSchema, idParams, jobSchema, pageOf, pageQuery } from '../schemas.js';

const FINAL = new Set(['completed', 'failed', 'canceled']);

/** `/api/v1/jobs`: list, show, failures (paged), cancel, rerun, and a server-sent-events progress stream. */
export function v1JobRoutes(app: FastifyInstance, service: KerasBatchService): void {
  const tags = ['jobs'];
  app.get(
    '/api/v1/jobs',
    {
      schema: {
        tags,
        querystring: {
          ...pageQuery,
          properties: {
            ...pageQuery.properties,
            deployment: { type: 'string', minLength: 1 },
            status: { type: 'array', items: { type: 'string', enum: [...JOB_STATUSES] } },
          },
        },
        response: { 200: pageOf(jobSchema), ...errorResponses },
      },
    },
    async (req) =>
      service.listJobs(
        req.query as { limit: number; offset: number; deployment?: string; status?: JobStatus[] },
      ),
  );
  app.get(
    '/api/v1/jobs/:id',
    { schema: { tags, params: idParams, response: { 200: jobSchema, ...errorResponses } } },
    async (req) => service.getJob((req.params as { id: string }).id),
  );
  app.get(
    '/api/v1/jobs/:id/failures',
    {
      schema: {
        tags,
        summary: 'The inputs that failed, with stage, code and reason (paged)',
        params: idParams,
        querystring: pageQuery,
        response: { 200: pageOf(failureSchema), ...errorResponses },
      },
    },
    async (req) =>
      service.jobFailures((req.params as { id: string }).id, req.query as { limit: number; offset: number }),
  );
  app.post(
    '/api/v1/jobs/:id/cancel',
    { schema: { tags, params: idParams, response: { 200: jobSchema, ...errorResponses } } },
    async (req) => service.cancelJob((req.params as { id: string }).id),
  );
  app.post(
    '/api/v1/jobs/:id/rerun',
    {
      schema: {
        tags,
        summary: "Run the job's deployment again (a new job)",
        params: idParams,
        response: { 202: jobSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await service.rerunJob((req.params as { id: string }).id)),
  );
  app.get(
    '/api/v1/jobs/:id/events',
    {
      schema: {
        tags,
        summary:
          'Server-sent events: a `job` event with the job view on every change; ends when the job is final',
        params: idParams,
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const first = await service.getJob(id);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      const send = (job: JobView) => raw.write(`event: job\ndata: ${JSON.stringify(job)}\n\n`);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        service.jobs.off('job', onJob);
        clearInterval(ping);
        raw.end();
      };
      const onJob = (job: JobView) => {
        if (job.id !== id) return;
        send(job);
        if (FINAL.has(job.status)) end();
      };
      const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
      service.jobs.on('job', onJob);
      req.raw.on('close', end);
      send(first);
      if (FINAL.has(first.status)) end();
    },
  );
}
