import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KerasBatchService } from '../service/index.js';
import type { JobView } from '../service/views.js';

/** Prometheus metrics of one server: jobs by status, files scored/failed, online scoring latency. */
export interface ApiMetrics {
  registry: Registry;
  observeOnline(seconds: number, records: number): void;
}

export function createMetrics(service: KerasBatchService): ApiMetrics {
  const registry = new Registry();
  new Gauge({
    name: 'keras_batch_jobs',
    help: 'Jobs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await service.jobCounts();
      for (const [s, n] of Object.entries(counts)) this.set({ status: s }, n);
    },
  });
  const files = new Counter({
    name: 'keras_batch_files_total',
    help: 'Input files finished by batch jobs of this server, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'keras_batch_online_scoring_seconds',
    help: 'Online scoring request latency (parse, score, format)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const records = new Counter({
    name: 'keras_batch_online_records_total',
    help: 'Records scored online',
    registers: [registry],
  });
  const seen = new Map<string, { scored: number; failed: number }>();
  service.jobs.on('job', (job: JobView) => {
    const last = seen.get(job.id) ?? { scored: 0, failed: 0 };
    const scored = Math.max(0, job.counts.scored - last.scored);
    const failed = Math.max(0, job.counts.failed - last.failed);
    if (scored) files.inc({ outcome: 'scored' }, scored);
    if (failed) files.inc({ outcome: 'failed' }, failed);
    if (job.status === 'completed' || job.status === 'failed' || job.status === 'canceled')
      seen.delete(job.id);
    else
      seen.set(job.id, {
        scored: Math.max(last.scored, job.counts.scored),
        failed: Math.max(last.failed, job.counts.failed),
      });
  });
  return {
    registry,
    observeOnline(seconds, n) {
      latency.observe(seconds);
      records.inc(n);
    },
  };
}
