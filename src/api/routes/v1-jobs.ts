import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  errorResponses,
  Failure,
  IdParams,
  Job,
  JobEvent,
  JobQuery,
  PageOf,
  PageQuery,
  RerunQuery,
} from '../../contract/index.js';
import type { JobView, KerasBatchService } from '../../service/index.js';

const FINAL = new Set(['completed', 'failed', 'canceled']);

/** `/api/v1/jobs`: list, show, failures (paged), cancel, rerun, and a server-sent-events progress stream. */
export function v1JobRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['jobs'];
  // Open event streams end when the server stops (they would otherwise hold its close until the deadline).
  const streams = new Set<() => void>();
  fastify.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  app.get(
    '/api/v1/jobs',
    {
      schema: { tags, querystring: JobQuery, response: { 200: PageOf(Job), ...errorResponses } },
    },
    async (req) => service.listJobs(req.query),
  );
  app.get(
    '/api/v1/jobs/:id',
    { schema: { tags, params: IdParams, response: { 200: Job, ...errorResponses } } },
    async (req) => service.getJob(req.params.id),
  );
  app.get(
    '/api/v1/jobs/:id/failures',
    {
      schema: {
        tags,
        summary: 'The inputs that failed, with stage, code and reason (paged)',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: PageOf(Failure), ...errorResponses },
      },
    },
    async (req) => service.jobFailures(req.params.id, req.query),
  );
  app.post(
    '/api/v1/jobs/:id/cancel',
    { schema: { tags, params: IdParams, response: { 200: Job, ...errorResponses } } },
    async (req) => service.cancelJob(req.params.id),
  );
  app.post(
    '/api/v1/jobs/:id/rerun',
    {
      schema: {
        tags,
        summary:
          "Run the job's deployment again (a new job): every input, resume (skip what this model already scored), or only this job's failed inputs",
        params: IdParams,
        querystring: RerunQuery,
        response: { 202: Job, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(202).send(await service.rerunJob(req.params.id, req.query.mode)),
  );
  app.get(
    '/api/v1/jobs/:id/events',
    {
      schema: {
        tags,
        summary:
          'Server-sent events: a `job` event with the job view on every change; ends when the job is final',
        params: IdParams,
        produces: ['text/event-stream'],
        response: { 200: JobEvent, ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
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
        streams.delete(end);
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
      streams.add(end);
      req.raw.on('close', end);
      send(first);
      if (FINAL.has(first.status)) end();
    },
  );
}
