/**
 * A job whose source folder is missing, or whose target cannot be used (a plain file where the folder should
 * be), through a real `serve`: it ends at once as `failed` with one error naming the place and the problem,
 * with no input counted and no failure per input. Before, the API job had no preflight (the CLI had its own).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JobServer,
  jobFailures,
  startDeploymentJob,
  startJobServer,
  waitJob,
} from '../helpers/serve-job.js';
import { repoRoot } from '../helpers/shared.js';

const MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');

describe('robustness: a job whose source or target cannot be used fails at once, once', () => {
  let work: string;
  let s: JobServer;
  const files = () => join(work, 'files');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-preflight-'));
    mkdirSync(join(files(), 'in'), { recursive: true });
    for (let i = 0; i < 50; i += 1)
      writeFileSync(join(files(), 'in', `img${i}.json`), JSON.stringify({ values: [[[[0.5]]]] }));
    writeFileSync(join(files(), 'not-a-folder'), 'a plain file');
    mkdirSync(join(files(), 'gone'));
    writeFileSync(join(files(), 'gone', 'img0.json'), JSON.stringify({ values: [[[[0.5]]]] }));
    s = await startJobServer(join(work, 'data'), files());
  }, 120_000);

  afterAll(async () => {
    await s?.server.kill();
    rmSync(work, { recursive: true, force: true });
  });

  const cases = [
    // Saving refuses a missing source (the checks before saving): this one disappears between save and run.
    {
      name: 'missing-source',
      source: 'gone',
      target: 'out',
      side: 'source',
      problem: 'cannot be listed',
      beforeRun: () => rmSync(join(files(), 'gone'), { recursive: true, force: true }),
    },
    { name: 'file-target', source: 'in', target: 'not-a-folder', side: 'target', problem: 'cannot be' },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: failed at once, one message naming the ${c.side}`, async () => {
      const jobId = await startDeploymentJob(s, {
        model: MODEL,
        name: `${c.name}`,
        files: files(),
        source: c.source,
        target: c.target,
        beforeRun: 'beforeRun' in c ? c.beforeRun : undefined,
      });
      const t0 = Date.now();
      const job = await waitJob(s, jobId, 60_000);
      expect(job.status).toBe('failed');
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(job.status_message).toContain(
        `the ${c.side} ${join(files(), c.side === 'source' ? c.source : c.target)}`,
      );
      expect(job.status_message).toContain(c.problem);
      expect(job.counts).toMatchObject({ total: 0, scored: 0, failed: 0, skipped: 0 });
      expect(await jobFailures(s, jobId)).toEqual([]);
      expect((await fetch(`${s.server.url}/health`)).status).toBe(200);
    }, 90_000);
  }
});
