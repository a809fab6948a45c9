/**
 * A target that is read-only or full through the real CLI and through a real `serve`'s API. Read-only: the job's preflight fails it at once
 * with one error naming the target and EROFS (it read as ENOENT, then as 700 failures). Full: the report's own
 * write error never hides the job: the summary (or --json report) is still printed with counts that add up,
 * each failure is named ENOSPC, and the report error is added. Uses a 2 MiB tmpfs and a
 * read-only tmpfs (root): skipped with a message when mount is not permitted and CI is unset.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { jobFailures, startDeploymentJob, startJobServer, waitJob } from '../helpers/serve-job.js';
import { repoRoot } from '../helpers/shared.js';

const MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');
const INPUT = JSON.stringify({ values: [Array.from({ length: 28 }, () => Array(28).fill([0.5]))] });

function tryMount(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (error) {
    if (process.env.CI) throw error;
    return false;
  }
}

interface Report {
  status: string;
  counts: { total: number; scored: number; failed: number; skipped: number };
  failures: { file: string; code: string; reason: string }[];
  reportKey: string | null;
  reportError: string | null;
}

describe('robustness: reports tell the truth on a full or read-only target', () => {
  let work: string;
  const mounted: string[] = [];
  let canMount = true;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'kb-report-truth-'));
    mkdirSync(join(work, 'in'));
    for (let i = 0; i < 700; i += 1) writeFileSync(join(work, 'in', `img${i}.json`), INPUT);
    for (const [name, options] of [
      ['full', 'size=2m'],
      ['ro', 'size=2m,ro'],
    ] as const) {
      mkdirSync(join(work, name));
      if (tryMount(join(work, name), options)) mounted.push(join(work, name));
      else canMount = false;
    }
    if (!canMount) console.warn('report-truth: skipped, mount(8) of a tmpfs is not permitted here');
  });

  afterAll(() => {
    for (const dir of mounted) execFileSync('umount', [dir]);
    rmSync(work, { recursive: true, force: true });
  });

  const score = async (target: string, json: boolean) => {
    const args = ['score', '-m', MODEL, '-s', join(work, 'in'), '-t', target, '-q'];
    const res = await runCli(json ? [...args, '--json'] : args);
    expect(res.signal).toBeNull();
    return res;
  };

  it('read-only target: the job ends at once with one error naming the target and EROFS, not 700 failures', async (ctx) => {
    if (!canMount) ctx.skip();
    const target = join(work, 'ro');
    for (const json of [false, true]) {
      const res = await score(target, json);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain(`the target ${target} cannot be written`);
      expect(res.stderr).toContain('read-only (EROFS)');
      expect(res.stderr).not.toContain('ENOENT');
      expect(res.stderr.match(/EROFS/g)).toHaveLength(1); // one error, not one per input
    }
  }, 180_000);

  it('full target (2 MiB tmpfs): outputs that fit are scored, the rest failed as ENOSPC, counts add up', async (ctx) => {
    if (!canMount) ctx.skip();
    const json = JSON.parse((await score(join(work, 'full'), true)).stdout) as Report;
    const { counts } = json;
    expect(counts.total).toBe(700);
    expect(counts.scored).toBeGreaterThan(0);
    expect(counts.failed).toBeGreaterThan(0);
    expect(counts.scored + counts.failed + counts.skipped).toBe(700);
    expect(json.failures.every((f) => f.code === 'STORAGE_FULL' && f.reason.includes('ENOSPC'))).toBe(true);
    expect(json.reportError).toContain('ENOSPC');
    console.log(
      `2 MiB target: scored ${counts.scored}, failed ${counts.failed} (ENOSPC); ${json.reportError}`,
    );
  }, 180_000);

  it('through a real serve: the full target job counts add up with ENOSPC failures; the read-only one fails at once naming EROFS', async (ctx) => {
    if (!canMount) ctx.skip();
    const dataDir = mkdtempSync(join(tmpdir(), 'kb-report-truth-data-'));
    const s = await startJobServer(dataDir, work);
    try {
      const fullJob = await startDeploymentJob(s, {
        model: MODEL,
        name: 'digits',
        files: work,
        source: 'in',
        target: 'full',
      });
      const full = await waitJob(s, fullJob, 170_000);
      const failures = await jobFailures(s, fullJob);
      console.log(
        `serve, 2 MiB target: ${full.status} ${JSON.stringify(full.counts)}; ${full.status_message}`,
      );
      expect(['completed', 'failed']).toContain(full.status);
      expect(full.counts.total).toBe(700);
      expect(full.counts.scored).toBeGreaterThan(0);
      expect(full.counts.failed).toBeGreaterThan(0);
      expect(full.counts.scored + full.counts.failed + full.counts.skipped).toBe(700);
      expect(failures.length).toBe(full.counts.failed);
      expect(failures.every((f) => f.code === 'STORAGE_FULL' && f.reason.includes('ENOSPC'))).toBe(true);
      expect(full.status_message).toContain('the report could not be written'); // added, not hiding the outcome

      const roJob = await startDeploymentJob(s, {
        model: MODEL,
        name: 'digits-ro',
        files: work,
        source: 'in',
        target: 'ro',
      });
      const ro = await waitJob(s, roJob, 60_000);
      console.log(`serve, read-only target: ${ro.status} ${JSON.stringify(ro.counts)}; ${ro.status_message}`);
      expect(ro.status).toBe('failed');
      expect(ro.status_message).toContain('EROFS');
      expect(ro.status_message).not.toContain('ENOENT');
      expect(ro.counts.failed).toBe(0); // one error for the job, not one per input
      expect(ro.counts.scored + ro.counts.failed + ro.counts.skipped).toBe(ro.counts.total);
      expect(s.server.child.exitCode).toBeNull();
    } finally {
      await s.server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
