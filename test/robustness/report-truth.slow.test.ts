/**
 * A target that is read-only or full through the real CLI: the report's own write error never hides the job.
 * The summary (or --json report) is still printed with counts that add up, each failure is named EROFS or
 * ENOSPC (a read-only target read as ENOENT before), and the report error is added. Uses a 2 MiB tmpfs and a
 * read-only tmpfs (root): skipped with a message when mount is not permitted and CI is unset.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
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

  it('read-only target: every output failed as EROFS, the summary printed, the report error added', async (ctx) => {
    if (!canMount) ctx.skip();
    const target = join(work, 'ro');
    const text = await score(target, false);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/inputs 700: scored 0, failed 700, skipped 0/);
    expect(text.stdout).toMatch(/the report could not be written in the target: .*read-only \(EROFS\)/);
    expect(text.stdout + text.stderr).not.toContain('ENOENT');
    const json = JSON.parse((await score(target, true)).stdout) as Report;
    expect(json.counts.scored + json.counts.failed + json.counts.skipped).toBe(json.counts.total);
    expect(json.failures[0].code).toBe('STORAGE_READ_ONLY');
    expect(json.failures[0].reason).toContain('EROFS');
    expect(json.reportKey).toBeNull();
    expect(json.reportError).toContain('EROFS');
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
});
