/**
 * Input formats from the web UI, in real Chromium (Debian's `/usr/bin/chromium`, playwright-core) against a real
 * `keras-batch serve` child process and a folder connection: the Add Deployment → Batch Prediction form offers
 * the input format and, for the chosen one only, its options; a CSV deployment with an id column and an image
 * deployment with resize and scale are checked by the server's dry run (its sample output is the format's),
 * saved, run, described on the deployment and job pages, and their outputs are byte for byte those of
 * `keras-batch score` with the same options (and, for images, not those of the default options). The form has
 * no sideways scroll at 390 px with either format's options shown.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exampleModel } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { readMnist } from '../helpers/mnist.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { describeShared, repoRoot, sharedDir } from '../helpers/shared.js';
import { axe } from './axe.js';
import { placeOnForm, settledJobFacts } from './console-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(repoRoot, 'artifacts', 'web');
const ROWS = 12;
const IMAGES = 5;

// The inputs are MNIST digits from ../shared: a user's clone without it skips this suite.
describeShared('web UI: CSV and image deployments with their format options', () => {
  let work: string;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let key: string;
  let modelId: string;
  const ids = Array.from({ length: ROWS }, (_, i) => `digit-${100 + i * 7}`);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html')))
      throw new Error('dist/web is missing: npm run build:web');
    mkdirSync(SHOTS, { recursive: true });
    work = await mkdtemp(join(tmpdir(), 'kb-web-formats-'));
    const mnist = readMnist(sharedDir() as string);
    for (const d of ['csv-in', 'csv-out', 'img-in', 'img-out']) await mkdir(join(work, d));
    // A CSV whose id column is not first, as exported by hand: p0..p783 then id.
    const header = [...Array.from({ length: 784 }, (_, i) => `p${i}`), 'id'].join(',');
    const rows = ids.map(
      (id, r) => `${Array.from(mnist.images.subarray(r * 784, (r + 1) * 784)).join(',')},${id}`,
    );
    await writeFile(join(work, 'csv-in', 'digits.csv'), `${header}\n${rows.join('\n')}\n`);
    // Digits padded to 56×40 (not square): crop and stretch differ.
    for (let i = 0; i < IMAGES; i += 1) {
      const digit = sharp(Buffer.from(mnist.images.subarray(i * 784, (i + 1) * 784)), {
        raw: { width: 28, height: 28, channels: 1 },
      });
      const big = await digit.resize(40, 40).raw().toBuffer();
      await sharp(big, { raw: { width: 40, height: 40, channels: 1 } })
        .extend({ left: 8, right: 8, background: { r: 90, g: 90, b: 90 } })
        .png()
        .toFile(join(work, 'img-in', `d${i}.png`));
    }
    server = await startServe(`${work}-data`, {}, undefined, ['--local-root', work]);
    key = server.printedKey as string;
    const call = <T>(method: string, path: string, body?: unknown) => api<T>(server, key, method, path, body);
    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([new Uint8Array(await readFile(exampleModel))]), 'mnist-cnn.keras');
    const model = await call<{ model: { id: string } }>('POST', '/api/v1/models', form);
    expect(model.status, model.text).toBe(201);
    modelId = model.body.model.id;
    const conn = await call('POST', '/api/v1/connections', { name: 'work', type: 'local', path: work });
    expect(conn.status, conn.text).toBe(201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.addInitScript((k) => sessionStorage.setItem('keras-batch.api-key', k), key);
  }, 120_000);
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.kill().catch(() => undefined);
    if (work) {
      await rm(work, { recursive: true, force: true });
      await rm(`${work}-data`, { recursive: true, force: true });
    }
  });

  const openForm = async (p: Page) => {
    await p.goto(`${server.url}/#/models/${encodeURIComponent(modelId)}/add`);
    await p.getByRole('tab', { name: 'Batch Prediction', selected: true }).waitFor();
  };
  const place = (side: 'Source' | 'Target', folder: string) =>
    placeOnForm(page, side, 'work (folder)', folder);
  /** Saves the form; returns the dry run's answer the form showed before saving. */
  const save = async () => {
    const checked = page.waitForResponse((r) => r.url().includes('/api/v1/deployments/validate'));
    await page.getByRole('button', { name: 'Save' }).click();
    const answer = (await (await checked).json()) as {
      ok: boolean;
      sample: { key: string; text: string } | null;
    };
    expect(answer.ok).toBe(true);
    await page.getByRole('heading', { name: /^Job/ }).waitFor();
    await page.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: 120_000 });
    return answer;
  };
  const score = async (source: string, target: string, options: string[]) => {
    const res = await runCli([
      'score',
      '-m',
      exampleModel,
      '-s',
      source,
      '-t',
      target,
      '-q',
      '--no-report',
      ...options,
    ]);
    expect(res.code, res.stderr).toBe(0);
  };

  it("offers only the chosen format's options, and has no sideways scroll at 390 px", async () => {
    await openForm(page);
    const format = page.getByLabel('Input format');
    expect(await page.getByLabel('Id column').count()).toBe(0);
    expect(await page.getByLabel('Resize').count()).toBe(0);
    await format.selectOption('csv');
    await page.getByLabel('Id column').waitFor();
    expect(await page.getByLabel('Columns', { exact: true }).count()).toBe(1);
    expect(await page.getByLabel('Resize').count()).toBe(0);
    expect(await page.getByLabel('Id field').count()).toBe(0);
    await format.selectOption('image');
    await page.getByLabel('Resize').waitFor();
    expect(await page.getByLabel('Scale').count()).toBe(1);
    expect(await page.getByLabel('Id column').count()).toBe(0);
    expect(await page.getByLabel('Output format').count()).toBe(0);
    await format.selectOption('jsonl');
    await page.getByLabel('Id field').waitFor();
    expect(await axe(page)).toEqual([]);
    const mobile = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await mobile.addInitScript((k) => sessionStorage.setItem('keras-batch.api-key', k), key);
    await openForm(mobile);
    for (const f of ['csv', 'image', 'npy']) {
      await mobile.getByLabel('Input format').selectOption(f);
      await mobile.getByTestId('format-fields').locator('label').nth(1).waitFor();
      expect(await mobile.evaluate(() => document.documentElement.scrollWidth), f).toBeLessThanOrEqual(390);
    }
    await mobile.getByLabel('Input format').selectOption('csv');
    await mobile.screenshot({ path: join(SHOTS, 'formats-form-csv-mobile.png'), fullPage: true });
    await mobile.close();
  }, 120_000);

  it("creates a CSV deployment with an id column: its CSV output is the CLI's, ids first", async () => {
    await openForm(page);
    await page.getByLabel('Name (required)', { exact: true }).fill('digits-csv');
    await place('Source', 'csv-in');
    await place('Target', 'csv-out');
    await page.getByLabel('Input format').selectOption('csv');
    await page.getByLabel('Id column').fill('id');
    await page.screenshot({ path: join(SHOTS, 'formats-form-csv.png'), fullPage: true });
    const answer = await save();
    // The dry run before saving scored the CSV as CSV: its sample is the output CSV, id column first.
    expect(answer.sample?.key).toBe('digits.csv');
    expect(answer.sample?.text.split('\n')[0]).toBe(
      `id,${Array.from({ length: 10 }, (_, i) => `prediction_${i}`).join(',')},prediction_class,error`,
    );
    await settledJobFacts(page);
    expect(await page.getByTestId('job-input-format').textContent()).toBe(
      'CSV or TSV (.csv, .tsv); id column id',
    );
    const output = await readFile(join(work, 'csv-out', 'digits.csv'), 'utf8');
    const lines = output.trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(ids);
    await score(join(work, 'csv-in'), join(work, 'cli-csv'), ['--input-format', 'csv', '--id-column', 'id']);
    expect(output).toBe(await readFile(join(work, 'cli-csv', 'digits.csv'), 'utf8'));
    // The deployment's page says how it reads its inputs.
    await page.getByRole('link', { name: 'digits-csv' }).first().click();
    await page.getByTestId('input-format').waitFor();
    expect(await page.getByTestId('input-format').textContent()).toBe(
      'Inputs: CSV or TSV (.csv, .tsv); id column id',
    );
  }, 240_000);

  it("creates an image deployment with resize crop and scale 0–1: outputs are the CLI's with those options", async () => {
    await openForm(page);
    await page.getByLabel('Name (required)', { exact: true }).fill('digits-images');
    await place('Source', 'img-in');
    await place('Target', 'img-out');
    await page.getByLabel('Input format').selectOption('image');
    await page.getByLabel('Resize').selectOption('crop');
    await page.getByLabel('Scale').selectOption('unit');
    const answer = await save();
    expect(answer.sample?.key).toBe('d0.png.json');
    expect(Object.keys(JSON.parse(answer.sample?.text ?? '{}'))).toEqual(['d0.png']);
    await settledJobFacts(page);
    expect(await page.getByTestId('job-input-format').textContent()).toBe(
      'Images (.png, .jpg, .webp, .gif, .bmp, .tif); resize crop; scale unit',
    );
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'formats-job-images.png'), fullPage: true });
    await score(join(work, 'img-in'), join(work, 'cli-img'), [
      '--input-format',
      'image',
      '--resize',
      'crop',
      '--scale',
      'unit',
    ]);
    await score(join(work, 'img-in'), join(work, 'cli-img-default'), ['--input-format', 'image']);
    let differ = 0;
    for (let i = 0; i < IMAGES; i += 1) {
      const ui = await readFile(join(work, 'img-out', `d${i}.png.json`), 'utf8');
      expect(ui, `d${i}.png`).toBe(await readFile(join(work, 'cli-img', `d${i}.png.json`), 'utf8'));
      if (ui !== (await readFile(join(work, 'cli-img-default', `d${i}.png.json`), 'utf8'))) differ += 1;
    }
    // The options reached the job: with the defaults (stretch, 0–255) the predictions are others.
    expect(differ).toBe(IMAGES);
  }, 240_000);
});
