/**
 * A `serve --redis` deployment's job in the web UI, in real Chromium (Debian's `/usr/bin/chromium` through
 * playwright-core): redis-server, the server and a `keras-batch worker` are real processes. The job page opened
 * before any worker runs shows the job running with nothing done and the bar indeterminate (the listing waits
 * for the queue, so the total is not known); once a worker starts, the same page (no reload: the job's event
 * stream) follows the progress, never backwards, to 100% and shows the counts, the failures (listed while the job
 * runs, as each shard's result comes in) and an output, as for a local job. The deployment is created through the REST API (the form is covered by
 * ui.browser.test.ts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView, JobView } from '../../src/service/index.js';
import { exampleInputs, exampleModel, writeFiles } from '../helpers/batch-files.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(repoRoot, 'artifacts', 'web');
const GOOD = 1500;
const BAD = ['bad-0.json', 'bad-1.json'];

describe('web UI: a job run by queue workers (serve --redis)', () => {
  let redis: TestRedis;
  let work: string;
  let server: ServeProcess;
  let worker: WorkerProcess | undefined;
  let browser: Browser;
  let page: Page;
  let key: string;
  let jobId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html')))
      throw new Error('dist/web is missing: npm run build:web');
    mkdirSync(SHOTS, { recursive: true });
    redis = await startTestRedis();
    work = await mkdtemp(join(tmpdir(), 'kb-web-dist-'));
    const inputs = exampleInputs();
    await writeFiles(
      join(work, 'in'),
      GOOD,
      (i) => `img${i}.json`,
      (i) => inputs[i % 10],
    );
    for (const name of BAD) await writeFile(join(work, 'in', name), '{"values": [[0.5,');
    // The data dir outside the folder the connection uses (serve refuses a --local-root holding it).
    server = await startServe(`${work}-data`, {}, undefined, [
      ...['--redis', redis.url, '--shard-size', '100', '--max-queued-shards', '4', '--local-root', work],
    ]);
    key = server.printedKey as string;
    const call = <T>(method: string, path: string, body?: unknown) => api<T>(server, key, method, path, body);
    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([await readFile(exampleModel)]), 'mnist-cnn.keras');
    const model = await call<{ model: { id: string } }>('POST', '/api/v1/models', form);
    expect(model.status).toBe(201);
    const conn = await call<{ id: string }>('POST', '/api/v1/connections', {
      name: 'work',
      type: 'local',
      path: work,
    });
    expect(conn.status).toBe(201);
    const deployment = await call<DeploymentView>('POST', '/api/v1/deployments', {
      name: 'digits-on-workers',
      type: 'batch',
      model: model.body.model.id,
      source: { connection: conn.body.id, bucket: 'in' },
      target: { connection: conn.body.id, bucket: 'out' },
      // One input per inference: the job runs for a while after its first shard (the bad inputs) is done.
      options: { batch_size: 1, concurrency: 1 },
    });
    expect(deployment.status).toBe(201);
    jobId = (deployment.body.last_job as JobView).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(30_000);
    await page.addInitScript((k) => sessionStorage.setItem('keras-batch.api-key', k), key);
  }, 120_000);
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await worker?.kill();
    await server?.kill().catch(() => undefined);
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    if (work) await rm(`${work}-data`, { recursive: true, force: true });
  });

  it('follows the job live from no worker to done, with the failures and an output', async () => {
    await page.goto(`${server.url}/#/jobs/${encodeURIComponent(jobId)}`);
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await bar.waitFor();
    // No worker yet: the shards wait in Redis, the listing waits for them (backpressure) and the page shows the
    // job running, nothing done, the bar indeterminate (the total is not known yet).
    await page.locator('h1 .badge', { hasText: 'running' }).waitFor();
    await page.getByText('Live: updates as the job runs.').waitFor();
    await page.getByText('Still listing the inputs, so the total is not known yet.').waitFor();
    expect(await bar.getAttribute('aria-valuenow')).toBeNull();
    expect(await bar.getAttribute('aria-valuetext')).toBe('0 done; still listing the inputs');
    expect(await page.getByTestId('files-done').textContent()).toMatch(/^0 \/ \d+\+$/);
    await page.screenshot({ path: join(SHOTS, 'distributed-01-waiting-for-workers.png'), fullPage: true });

    // Every state the bar shows from here on (null: indeterminate), recorded in the page.
    await page.evaluate(() => {
      const w = window as unknown as { seen: (number | null)[] };
      w.seen = [];
      const read = () => {
        const now = document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow');
        w.seen.push(now === null || now === undefined ? null : Number(now));
      };
      new MutationObserver(read).observe(document.body, {
        attributes: true,
        subtree: true,
        childList: true,
        attributeFilter: ['aria-valuenow', 'class'],
      });
      // The badge when a failure first shows in the Failures table: live failures show while it runs.
      const failures = new MutationObserver(() => {
        const table = [...document.querySelectorAll('section')].find((s) =>
          s.querySelector('h2')?.textContent?.startsWith('Failures'),
        );
        if (!table?.querySelector('tbody td')) return;
        (window as unknown as { firstFailureBadge: string }).firstFailureBadge =
          document.querySelector('h1 .badge')?.textContent ?? '';
        failures.disconnect();
      });
      failures.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    worker = await startWorker(redis.url, ['--data-dir', `${work}-data`, '--io-threads', '0']);
    await page.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: 180_000 });
    // The failures were listed while the job ran (queue workers' failures come with each shard's result).
    expect(
      await page.evaluate(() => (window as unknown as { firstFailureBadge?: string }).firstFailureBadge),
    ).toBe('running');
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    const seen = await page.evaluate(() => (window as unknown as { seen: (number | null)[] }).seen);
    expect(seen.at(-1)).toBe(100);
    // Indeterminate until the listing is done, then a fraction of the known total that only grows.
    const known = seen.findIndex((v) => v !== null);
    const determinate = seen.slice(known);
    expect(determinate.every((v) => v !== null)).toBe(true);
    for (let i = 1; i < determinate.length; i += 1)
      expect(determinate[i] as number).toBeGreaterThanOrEqual(determinate[i - 1] as number);
    const total = GOOD + BAD.length;
    expect(await page.getByTestId('files-done').textContent()).toBe(
      `${total.toLocaleString('en')} / ${total.toLocaleString('en')}`,
    );
    expect(await page.getByTestId('failures-count').textContent()).toBe(String(BAD.length));
    const failures = page.locator('section', {
      has: page.getByRole('heading', { name: `Failures (${BAD.length})` }),
    });
    await failures
      .locator('tbody tr')
      .nth(BAD.length - 1)
      .waitFor();
    for (const name of BAD) expect(await failures.textContent()).toContain(name);
    await page.getByRole('button', { name: 'img0.json' }).click();
    const preview = page.getByTestId('output-preview');
    await preview.waitFor();
    const output = JSON.parse((await preview.textContent()) as string);
    expect(output['img0.json'].fields).toEqual(['prediction', 'prediction_classes', 'probability']);
    const written = JSON.parse(await readFile(join(work, 'out', 'img0.json'), 'utf8'));
    expect(output).toEqual(written);
    await page.screenshot({ path: join(SHOTS, 'distributed-02-done.png'), fullPage: true });
  }, 300_000);
});
