/**
 * The web UI end to end in real Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core; no browser
 * is ever downloaded): `keras-batch serve` as a child process and a real S3 test server. Sign in, upload the
 * MNIST CNN, add an S3 connection, create a batch deployment over 500 seed-format files (3 of them bad), watch
 * the progress bar reach 100%, open the failures table and an output preview, then score a record online.
 * Every page is checked with axe-core (no serious or critical violations) and screenshotted to artifacts/web/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Mnist, readMnist } from '../helpers/mnist.js';
import { mnistInputText } from '../helpers/mnist-files.js';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import { LOOPBACK_S3, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { describeShared, repoRoot, sharedDir } from '../helpers/shared.js';
import { axe } from './axe.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MODEL = 'mnist-cnn-keras2.0.9-allysonaberg.h5';
const SHOTS = join(repoRoot, 'artifacts', 'web');
const GOOD = 497;
const BAD: Record<string, string> = {
  'bad-not-json.json': '{"values": [[[0.1, ',
  'bad-no-values.json': '{"pixels": [1, 2, 3]}',
  'bad-shape.json': '{"values": [[1, 2, 3]]}',
};

describeShared('web UI in Chromium', () => {
  let s3: S3TestServer;
  let mnist: Mnist;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let key: string;
  const work = mkdtempSync(join(tmpdir(), 'kb-web-'));
  const cspViolations: string[] = [];
  const openFileRefusals: string[] = [];
  const shot = async (name: string, p: Page = page) =>
    p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html')))
      execFileSync(
        process.execPath,
        [
          join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'),
          'build',
          '--config',
          'web/vite.config.ts',
          '--logLevel',
          'warn',
        ],
        {
          cwd: repoRoot,
          stdio: 'inherit',
        },
      );
    mnist = readMnist(sharedDir() as string);
    s3 = await startS3Server();
    await s3.createBucket('web-in');
    await s3.createBucket('web-out');
    const driver = testBucket(s3, 'web-in');
    const layout = { shape: 'image', scale: 'div255' } as const;
    for (let first = 0; first < GOOD; first += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, GOOD - first) }, (_, j) =>
          driver.put(`img${first + j}.json`, mnistInputText(mnist, first + j, layout)),
        ),
      );
    for (const [name, text] of Object.entries(BAD)) await driver.put(name, text);
    await driver.close();
    server = await startServe(join(work, 'data'), LOOPBACK_S3);
    key = server.printedKey as string;
    // launch() always starts Chromium with a fresh temporary profile (its own --user-data-dir), removed on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() === 401 && !path.startsWith('/api/')) openFileRefusals.push(path);
    });
  });
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('signs in with an API key kept in sessionStorage, never in the URL', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to keras-batch' }).count()).toBe(1);
    expect(await axe(page)).toEqual([]);
    await page.getByLabel('API key (required)').fill('kb_wrong-key-0000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This API key is not valid').waitFor();
    await shot('01-sign-in-error');
    await page.getByLabel('API key (required)').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await page.getByText('No models yet').waitFor();
    expect(page.url()).not.toContain(key);
    expect(await page.evaluate(() => sessionStorage.getItem('keras-batch.api-key'))).toBe(key);
    expect(await axe(page)).toEqual([]);
    await shot('02-models-empty');
  });

  it('uploads the MNIST CNN (a bad file shows the loader error) and shows its layers', async () => {
    await page.locator('#model-file').setInputFiles({
      name: 'broken.h5',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not an HDF5 file'),
    });
    await page.getByRole('button', { name: 'Upload model' }).click();
    await page.getByText('The model was not added').waitFor();
    await shot('03-upload-error');
    await page.getByLabel('Model name').fill('mnist-cnn');
    await page.locator('#model-file').setInputFiles(join(sharedDir() as string, 'keras-models', MODEL));
    await page.getByRole('button', { name: 'Upload model' }).click();
    await page.getByRole('heading', { name: 'mnist-cnn', level: 1 }).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Layers' }).waitFor();
    expect(await page.locator('table').last().locator('tbody tr').count()).toBeGreaterThan(3);
    await page.getByText('Conv2D').first().waitFor();
    expect(await axe(page)).toEqual([]);
    await shot('04-model-page');
    await page.goto(`${server.url}/#/models`);
    const row = page.locator('tbody tr', { hasText: 'mnist-cnn' });
    await row.waitFor();
    expect(await row.textContent()).toContain('(None, 28, 28, 1) → (None, 10)');
    await shot('05-models-list');
  });

  it('adds an S3 connection after testing it; the keys are not shown again', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
    await page.getByText('No connections yet').waitFor();
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByText('Give the connection a name.').waitFor();
    await page.getByLabel('Connection name (required)').fill('test-s3');
    await page.getByLabel('Endpoint URL').fill(s3.endpoint);
    await page.getByLabel('Access key').fill(s3.accessKeyId);
    await page.getByLabel('Secret key').fill(s3.secretAccessKey);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/Connection works: \d+ buckets? found/).waitFor();
    expect(await axe(page)).toEqual([]);
    await shot('06-connection-tested');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.locator('tbody tr', { hasText: 'test-s3' }).waitFor();
    expect(await page.content()).not.toContain(s3.secretAccessKey);
    expect(await page.getByLabel('Access key').inputValue()).toBe('');
    await shot('07-connections');
  });

  it('creates a batch deployment: browses the source, refuses an overlapping target, saves', async () => {
    // A second connection to the same endpoint: only the server can tell that its bucket is the source's.
    const copy = await fetch(`${server.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'test-s3-copy',
        type: 's3',
        endpoint: s3.endpoint,
        access_key: s3.accessKeyId,
        secret_key: s3.secretAccessKey,
      }),
    });
    expect(copy.status).toBe(201);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: 'mnist-cnn' }).click();
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await page.getByText('This model has no deployments').waitFor();
    await page.getByRole('button', { name: 'Add Deployment' }).click();
    await page.getByRole('tab', { name: 'Batch Prediction', selected: true }).waitFor();
    await page.getByLabel('Name (required)', { exact: true }).fill('mnist-batch');
    await page.getByLabel('Description').fill('500 MNIST digits, 3 bad files');
    await page.getByLabel('Source connection').selectOption({ label: 'test-s3 (S3)' });
    await page.getByRole('combobox', { name: /^Source bucket/ }).selectOption('web-in');
    await page.getByRole('button', { name: 'Browse the source' }).click();
    await page.getByText('500 objects').waitFor();
    await page.getByText('Preview of').waitFor();
    await page.getByLabel('Target connection').selectOption({ label: 'test-s3 (S3)' });
    await page.getByRole('combobox', { name: /^Target bucket/ }).selectOption('web-in');
    await page.getByLabel('Batch size').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The target overlaps the source').waitFor();
    await page.getByText('A whole number from 1 to 65536.').waitFor();
    expect(await axe(page)).toEqual([]);
    await shot('08-deployment-form-errors');
    await page.getByLabel('Batch size').fill('64');
    await page.getByLabel('Target connection').selectOption({ label: 'test-s3-copy (S3)' });
    await page.getByRole('combobox', { name: /^Target bucket/ }).selectOption('web-in');
    await page.getByRole('button', { name: 'Save' }).click();
    // The server's checks answer on the form (the same bucket through another connection): nothing is saved.
    await page
      .getByTestId('checks')
      .getByText(/overlaps the source/)
      .waitFor();
    expect(await page.locator('[data-check="overlap"]').getAttribute('data-verdict')).toBe('fail');
    await page.getByLabel('Target connection').selectOption({ label: 'test-s3 (S3)' });
    await page.getByRole('combobox', { name: /^Target bucket/ }).selectOption('web-out');
    await page.getByLabel('Max failures').fill('5%');
    await shot('09-deployment-form');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /^Job/ }).waitFor();
  });

  it('shows the job live until the progress bar reaches 100%, then the failures and an output', async () => {
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await bar.waitFor();
    await shot('10-job-running');
    await expect
      .poll(async () => bar.getAttribute('aria-valuenow'), { timeout: 120_000, interval: 250 })
      .toBe('100');
    await page.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('files-done').textContent()).toBe('500 / 500');
    expect(await page.getByTestId('failures-count').textContent()).toBe('3');
    const failures = page.locator('section', { has: page.getByRole('heading', { name: 'Failures (3)' }) });
    await failures.locator('tbody tr').nth(2).waitFor();
    expect(await failures.locator('tbody tr').count()).toBe(3);
    expect(await failures.textContent()).toContain('bad-not-json.json');
    await page.getByRole('button', { name: 'img0.json' }).click();
    const preview = page.getByTestId('output-preview');
    await preview.waitFor();
    const output = JSON.parse((await preview.textContent()) as string);
    expect(output['img0.json'].fields).toEqual(['prediction', 'prediction_classes', 'probability']);
    expect(output['img0.json'].values[1]).toBe(mnist.labels[0]);
    expect(await axe(page)).toEqual([]);
    await shot('11-job-done');
    const mobile = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await mobile.addInitScript((k) => sessionStorage.setItem('keras-batch.api-key', k), key);
    await mobile.goto(page.url());
    await mobile.getByRole('progressbar', { name: 'Job progress' }).waitFor();
    await mobile.getByRole('heading', { name: 'Failures (3)' }).waitFor();
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('12-job-done-mobile', mobile);
    await mobile.close();
  }, 240_000);

  it('scores a record online from the Online tab and shows the probabilities as a bar chart', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: 'mnist-cnn' }).click();
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await page.locator('tbody tr', { hasText: 'mnist-batch' }).getByText('completed').waitFor();
    await shot('13-deployments-tab');
    await page.getByRole('button', { name: 'Add Deployment' }).click();
    await page.getByRole('tab', { name: 'Online' }).click();
    await page.getByLabel('Name (required)', { exact: true }).fill('mnist-online');
    await page.getByRole('button', { name: 'Create online deployment' }).click();
    await page.getByRole('heading', { name: 'Score online' }).waitFor();
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.getByText('Paste a seed-format input').waitFor();
    await page.getByLabel('Seed-format input').fill('{"values": [[1, 2');
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.getByText('This is not JSON').waitFor();
    const layout = { shape: 'image', scale: 'div255' } as const;
    await page.getByLabel('Seed-format input').fill(mnistInputText(mnist, 7, layout));
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.getByTestId('predicted-class').waitFor();
    expect(await page.getByTestId('predicted-class').textContent()).toBe(String(mnist.labels[7]));
    expect(await page.locator('table.bars tbody tr').count()).toBe(10);
    expect(await axe(page)).toEqual([]);
    await shot('14-online-scored');
    // Draw a vertical stroke (a "1") on the canvas and score it: a prediction and ten bars come back.
    const canvas = page.getByRole('img', { name: /draw a digit/ });
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i += 1)
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + i * 0.07));
    await page.mouse.up();
    await page.getByRole('button', { name: 'Score the drawing' }).click();
    await expect.poll(() => page.getByTestId('predicted-class').textContent()).toMatch(/^\d$/);
    expect(await page.locator('table.bars tbody tr').count()).toBe(10);
    await shot('15-online-drawn');
  });

  it('a viewer key sees its name and role, and no action its role cannot do', async () => {
    const make = async (role: string) => {
      const res = await fetch(`${server.url}/api/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `ui-${role}`, role }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await viewer.goto(server.url);
    await viewer.getByLabel('API key (required)').fill(await make('viewer'));
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await viewer.getByText('ui-viewer · viewer').waitFor();
    expect(await viewer.getByRole('heading', { name: 'Upload a model' }).count()).toBe(0);
    await viewer.getByRole('link', { name: 'mnist-cnn' }).click();
    await viewer.getByRole('tab', { name: 'Deployments' }).click();
    await viewer.locator('tbody tr', { hasText: 'mnist-batch' }).waitFor();
    expect(await viewer.getByRole('tab', { name: 'Add Deployment' }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Add Deployment' }).count()).toBe(0);
    await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
    await viewer.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    expect(await viewer.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    expect(await axe(viewer)).toEqual([]);
    await shot('16-viewer', viewer);
    await viewer.close();
  });

  it('ran every page above under the CSP with no violation, and loaded no static file that asked for a key', () => {
    expect(cspViolations).toEqual([]);
    expect(openFileRefusals).toEqual([]);
  });
});
