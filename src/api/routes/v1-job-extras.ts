import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  DeploymentInput,
  errorResponses,
  IdParams,
  JobReportDoc,
  TextFile,
  ValidateQuery,
  ValidationResult,
} from '../../contract/index.js';
import type { FailureView, KerasBatchService } from '../../service/index.js';

/** A CSV field: quoted when it holds a comma, a quote or a line break; a leading =+-@ is defused for spreadsheets. */
const csvField = (v: string) => {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** Failures as CSV (a header row) or JSON Lines (one object per line). */
export function failuresText(items: FailureView[], format: 'csv' | 'jsonl'): string {
  if (format === 'jsonl') return items.map((f) => `${JSON.stringify(f)}\n`).join('');
  const rows = [
    ['file', 'stage', 'code', 'reason'],
    ...items.map((f) => [f.file, f.stage, f.code, f.reason]),
  ];
  return rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

const fileName = (id: string, ext: string) => `job-${id.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64)}-${ext}`;

/**
 * The checks before saving a deployment (`POST /api/v1/deployments/validate`) and a job's downloads: its report
 * (JSON) and its failures (JSON Lines, CSV).
 */
export function v1JobExtraRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/v1/deployments/validate',
    {
      schema: {
        tags: ['deployments'],
        summary:
          "Check a deployment before saving it (nothing is saved): settings, overlap, the source's inputs, a writable target, and a dry run of the first inputs (shapes, a sample output, an estimate)",
        body: DeploymentInput,
        querystring: ValidateQuery,
        response: { 200: ValidationResult, ...errorResponses },
      },
    },
    async (req) => service.validateDeployment(req.body, req.query.sample),
  );
  const tags = ['jobs'];
  app.get(
    '/api/v1/jobs/:id/report',
    {
      schema: {
        tags,
        summary: "A job's report to download: the job, its deployment's settings and all its failures",
        params: IdParams,
        response: { 200: JobReportDoc, ...errorResponses },
      },
    },
    async (req, reply) => {
      const report = await service.jobReport(req.params.id);
      return reply
        .header('content-disposition', `attachment; filename="${fileName(req.params.id, 'report.json')}"`)
        .send(report);
    },
  );
  for (const [format, type] of [
    ['jsonl', 'application/x-ndjson'],
    ['csv', 'text/csv'],
  ] as const) {
    app.get(
      `/api/v1/jobs/:id/failures.${format}`,
      {
        schema: {
          tags,
          summary: `A job's failures to download, as ${format === 'csv' ? 'CSV (file, stage, code, reason)' : 'JSON Lines'}`,
          params: IdParams,
          produces: [type],
          response: { 200: TextFile, ...errorResponses },
        },
      },
      async (req, reply) => {
        const items = await service.jobFailuresAll(req.params.id);
        return reply
          .type(`${type}; charset=utf-8`)
          .header(
            'content-disposition',
            `attachment; filename="${fileName(req.params.id, `failures.${format}`)}"`,
          )
          .send(failuresText(items, format));
      },
    );
  }
}
