import type { Command } from 'commander';
import { printJson, printTable, type TargetOptions, targetOptions, withClient } from './client.js';

/** `keras-batch jobs list|show|cancel`. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('batch jobs: status, counts, cancel');
  targetOptions(
    jobs
      .command('list')
      .description('list jobs')
      .option('--deployment <id>', 'of one deployment')
      .option('--json', 'print JSON'),
  ).action(async (o: TargetOptions & { deployment?: string; json?: boolean }) =>
    withClient(o, async (c) => {
      const page = await c.listJobs(o.deployment);
      if (o.json) return printJson(page);
      printTable(
        page.items.map((j) => ({ ...j, ...j.counts })),
        ['id', 'deployment_id', 'status', 'total', 'scored', 'failed', 'skipped', 'created_at'],
      );
    }),
  );
  targetOptions(jobs.command('show <id>').description('a job: status, counts, progress, times')).action(
    async (id: string, o: TargetOptions) => withClient(o, async (c) => printJson(await c.showJob(id))),
  );
  targetOptions(jobs.command('cancel <id>').description('cancel a queued or running job')).action(
    async (id: string, o: TargetOptions) => withClient(o, async (c) => printJson(await c.cancelJob(id))),
  );
}
