/**
 * A job resumed after a server restart, and a rerun with "Resume", in real Chromium (playwright-core) against a
 * real `keras-batch serve`: the job page shows each attempt with what it did (scored, skipped, failed), the
 * failure list keeps the earlier attempt's failures (an input that failed in attempt 1 and was fixed before
 * attempt 2 stays listed, for attempt 1) and never lists an input twice, also while attempt 2 runs; a rerun
 * with "Resume" shows the job it reruns and what that one did. Screenshots: artifacts/web/attempts-*.png.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { exampleInputs, writeDigitFiles, writeFiles } from '../helpers/batch-files.js';
import { ConsoleHarness, settledJobFacts, sleep } from './console-harness.js';

const GOOD = 20_000;
const BAD = ['bad-a.json', 'bad-b.json', 'bad-c.json'];

describe('web: attempts of a resumed job and of a rerun, and their failures', () => {
  const h = new ConsoleHarness({
    name: 'attempts',
    async setup(work) {
      const inputs = exampleInputs();
      await writeDigitFiles(join(work, 'mixed'), GOOD);
      for (const n of BAD) await writeFile(join(work, 'mixed', n), '{"values": [[0.5,');
      await writeFiles(
        join(work, 'gone'),
        3,
        (i) => `img${i}.json`,
        (i) => inputs[i],
      );
    },
  });
  let page: Page;
  let jobId: string;
  /** The failures table's rows as cell texts. */
  const failureRows = () =>
    page.evaluate(() => {
      const section = [...document.querySelectorAll('section')].find((s) =>
        s.querySelector('h2')?.textContent?.startsWith('Failures'),
      );
      return [...(section?.querySelectorAll('tbody tr') ?? [])].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
      );
    });

  beforeAll(async () => {
    await h.start();
    page = h.page;
  }, 300_000);
  afterAll(() => h.stop());

  it('a job resumed after a restart shows both attempts and keeps the failures of the first', async () => {
    // One input per inference: the job still runs after the restart.
    const d = await h.deploy('resumed', 'mixed', { options: { batch_size: 1, concurrency: 1 } });
    jobId = (d.last_job as JobView).id;
    await h.open(`#/jobs/${jobId}`);
    // Attempt 1 lists its failures live (the bad inputs come first in the listing).
    await expect.poll(async () => (await failureRows()).length, { timeout: 60_000 }).toBe(BAD.length);
    expect(await page.locator('h1 .badge').first().textContent()).toBe('running');
    expect(await (await settledJobFacts(page)).textContent()).toMatch(
      /digits\s+version 1.*work: mixed.*work: out-resumed.*batch size: 1; concurrency: 1/s,
    );
    // Live too while it runs: the elapsed time, and outputs to preview.
    const elapsed = page
      .locator('.stats div', { has: page.getByText('Elapsed', { exact: true }) })
      .locator('dd');
    expect(await elapsed.textContent()).toMatch(/^\d+(\.\d)? s$|^\d+ min \d+ s$/);
    const outputs = page.locator('section', { has: page.getByRole('heading', { name: 'Outputs' }) });
    await outputs.getByRole('button', { name: 'img0.json' }).click();
    const preview = JSON.parse((await page.getByTestId('output-preview').textContent()) as string);
    expect(preview['img0.json'].fields).toContain('prediction');
    expect(await page.locator('h1 .badge').first().textContent()).toBe('running');
    // Every 200 ms from here on: an input listed twice in the failures table is a finding.
    await page.evaluate(() => {
      const w = window as unknown as { twice: string[]; looks: number };
      w.twice = [];
      w.looks = 0;
      setInterval(() => {
        const section = [...document.querySelectorAll('section')].find((s) =>
          s.querySelector('h2')?.textContent?.startsWith('Failures'),
        );
        const files = [...(section?.querySelectorAll('tbody tr td:first-child') ?? [])].map(
          (td) => td.textContent ?? '',
        );
        w.looks += 1;
        if (new Set(files).size !== files.length) w.twice.push(files.join(' '));
      }, 200);
    });
    // A graceful restart, with bad-c.json fixed meanwhile: attempt 2 scores it, attempt 1's failure of it stays.
    const port = Number(new URL(h.server.url).port);
    await h.server.stop();
    await writeFile(join(h.work, 'mixed', 'bad-c.json'), exampleInputs()[0]);
    await h.startServer(port);
    await page.locator('h1 .badge[data-state=resumed]').waitFor({ timeout: 30_000 });
    // While attempt 2 runs: the attempts so far and the one running now.
    await page.getByTestId('attempts-table').getByText('running now').waitFor({ timeout: 30_000 });
    await h.shot('attempts-running');
    await page.locator('h1 .badge', { hasText: /^completed with failures$/ }).waitFor({ timeout: 300_000 });
    await sleep(1000);
    const job = await h.waitFinal(jobId);
    expect(job).toMatchObject({ status: 'completed', attempts: 2, interrupted: true });
    expect(job.history.map((a) => [a.attempt, a.outcome, a.failed])).toEqual([
      [1, 'interrupted', 3],
      [2, 'completed', 2],
    ]);
    const [first, second] = job.history;
    expect(first.scored).toBeGreaterThan(0);
    expect(second.skipped).toBeGreaterThan(0);
    expect(first.scored + first.failed + second.scored + second.failed).toBeGreaterThanOrEqual(
      GOOD + BAD.length,
    );
    // The page: each attempt with what it did.
    const rows = page.getByTestId('attempts-table').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    const cells = async (i: number) => rows.nth(i).locator('td').allTextContents();
    expect((await cells(0)).filter((_, i) => i !== 1)).toEqual([
      '1',
      'interrupted by a server stop (resumed)',
      first.scored.toLocaleString('en'),
      first.skipped.toLocaleString('en'),
      '3',
    ]);
    expect((await cells(1)).filter((_, i) => i !== 1)).toEqual([
      '2',
      'completed',
      second.scored.toLocaleString('en'),
      second.skipped.toLocaleString('en'),
      '2',
    ]);
    // The failures: all three inputs once each, bad-c.json for attempt 1 (it was fixed before attempt 2).
    const failures = await h.call<{ items: { file: string; attempt: number }[]; total: number }>(
      'GET',
      `/api/v1/jobs/${jobId}/failures`,
    );
    expect(failures.body.items.map((f) => [f.file, f.attempt]).sort()).toEqual([
      ['bad-a.json', 2],
      ['bad-b.json', 2],
      ['bad-c.json', 1],
    ]);
    await expect
      .poll(async () => (await failureRows()).map((r) => `${r[0]} ${r[1]}`).sort())
      .toEqual(['bad-a.json 2', 'bad-b.json 2', 'bad-c.json 1']);
    const { twice, looks } = await page.evaluate(() => {
      const w = window as unknown as { twice: string[]; looks: number };
      return { twice: w.twice, looks: w.looks };
    });
    console.log(
      `attempt 1: ${JSON.stringify(first)}; attempt 2: ${JSON.stringify(second)}; ${looks} looks at the failures table`,
    );
    expect(looks).toBeGreaterThan(10);
    expect(twice).toEqual([]);
    // The downloads: the failures as CSV (a header and the three inputs) and the report (all three).
    const download = async (name: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name }).click(),
      ]);
      return { name: file.suggestedFilename(), text: await readFile(await file.path(), 'utf8') };
    };
    const csv = await download('Failures (CSV)');
    expect(csv.name).toBe(`job-${jobId.slice(0, 8)}-failures.csv`);
    expect(
      csv.text
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(BAD);
    const report = await download('Report (JSON)');
    expect(JSON.parse(report.text)).toMatchObject({ job: { id: jobId }, failures_total: BAD.length });
    await h.checkWidths('attempts-resumed');
  }, 600_000);

  it('a rerun with "Resume" shows the job it reruns and what that one did', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await h.open(`#/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Rerun…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rerun this job' });
    await dialog.getByRole('radio', { name: /Resume/ }).check();
    await dialog.getByRole('button', { name: 'Rerun: resume' }).click();
    await page.waitForURL((u) => !u.hash.includes(jobId));
    const rerunId = decodeURIComponent(page.url().split('#/jobs/')[1]);
    const rerun = await h.waitFinal(rerunId);
    expect(rerun).toMatchObject({ mode: 'resume', rerun_of: jobId });
    const earlier = page.getByTestId('earlier-job');
    await earlier.waitFor();
    const original = (await h.call<JobView>('GET', `/api/v1/jobs/${jobId}`)).body;
    const text = await earlier.locator('td').allTextContents();
    expect(text[0]).toBe(`job ${jobId.slice(0, 8)} (rerun by this one)`);
    expect(text.slice(2)).toEqual([
      'completed',
      original.counts.scored.toLocaleString('en'),
      original.counts.skipped.toLocaleString('en'),
      original.counts.failed.toLocaleString('en'),
    ]);
    expect(await earlier.getByRole('link').getAttribute('href')).toBe(`#/jobs/${encodeURIComponent(jobId)}`);
    await h.shot('attempts-rerun-resume');
    // Clone: the Add Deployment form of the same model, filled with this deployment's settings.
    await page.getByRole('button', { name: 'Clone' }).click();
    await page.waitForURL(/#\/models\/.+\/add$/);
    await expect
      .poll(() => page.getByLabel('Name (required)', { exact: true }).inputValue())
      .toBe('resumed-copy');
    expect(await page.getByLabel('Batch size').inputValue()).toBe('1');
    await h.shot('attempts-clone');
  }, 300_000);

  it('a job that failed at once: a red "failed" of its own (not a full bar, not stopped early), in words', async () => {
    // Saved while its source existed (the checks pass), then the folder is gone before "Run now".
    const d = await h.deploy('gone-source', 'gone', { start: false });
    await rm(join(h.work, 'gone'), { recursive: true });
    const run = await h.call<JobView>('POST', `/api/v1/deployments/${d.id}/run`);
    expect(run.status, run.text).toBeLessThan(300);
    const job = await h.waitFinal(run.body.id);
    expect(job.status).toBe('failed');
    await page.setViewportSize({ width: 1280, height: 800 });
    await h.open(`#/jobs/${job.id}`);
    const badge = page.locator('h1 .badge').first();
    await expect.poll(() => badge.textContent()).toBe('failed');
    expect(await badge.getAttribute('data-state')).toBe('failed');
    expect(await badge.getAttribute('class')).toContain('bad');
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    expect(await bar.getAttribute('data-state')).toBe('failed');
    expect(await bar.getAttribute('aria-valuenow')).not.toBe('100');
    const message = (await page.getByTestId('job-message').textContent()) as string;
    expect(message).not.toMatch(/\[\w+\]|--/);
    expect(message).toContain(join(h.work, 'gone'));
    await h.checkWidths('attempts-failed-job');
  }, 120_000);
});
