/**
 * The setup the console's browser tests share: a real `keras-batch serve` child process over a temporary local
 * folder (`--local-root`), the MNIST example model uploaded as "digits", a local connection "work" on the folder,
 * and Debian's Chromium (`/usr/bin/chromium`, playwright-core) with a page signed in with the server's key. Also
 * the calls every test makes: the REST API with the key, a batch deployment, a job's end, a page by its hash, a
 * screenshot under artifacts/web, and a page checked at 390 px and 1280 px (axe, no sideways scroll).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { DeploymentView, JobView } from '../../src/service/index.js';
import { exampleModel } from '../helpers/batch-files.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';
import { axe } from './axe.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = join(repoRoot, 'artifacts', 'web');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HarnessOptions {
  /** Part of the temporary folder's name. */
  name: string;
  /** Writes the inputs into the work folder before the server starts. */
  setup?: (work: string) => Promise<void>;
  /** More `serve` arguments (besides `--local-root <work>`). */
  serveArgs?: string[];
  /** Make the local connection "work" on the folder. Default true. */
  connection?: boolean;
  /** The main page's browser context (permissions, say); its viewport is 1280 x 800, its locale en-US. */
  context?: BrowserContextOptions;
  /** The main page's default timeout. Default 60 s. */
  timeoutMs?: number;
}

const FINAL = ['completed', 'failed', 'canceled'];

/**
 * Picks a place on the Add Deployment form: the connection by its label, then, once its buckets (sub-folders) have
 * loaded, one from the list or typed when there is no list (an empty name is the folder itself), and a prefix.
 */
export const placeOnForm = async (
  page: Page,
  side: 'Source' | 'Target',
  connection: string,
  bucket: string,
  prefix?: string,
) => {
  await page.getByLabel(`${side} connection`).selectOption({ label: connection });
  const control = page.getByLabel(new RegExp(`^${side} (sub-folder|bucket)`));
  const loading = page.locator('.field', { has: control }).getByText('Loading the buckets…');
  await expect.poll(() => loading.count(), { timeout: 30_000 }).toBe(0);
  if ((await control.evaluate((e) => e.tagName)) === 'SELECT') await control.selectOption(bucket);
  else await control.fill(bucket);
  if (prefix !== undefined) await page.getByLabel(`${side} prefix`).fill(prefix);
};

/** The job page's facts once they have loaded (its deployment, model and connection names): `aria-busy` false. */
export const settledJobFacts = async (page: Page) => {
  const facts = page.locator('[data-testid="job-facts"][aria-busy="false"]');
  await facts.waitFor();
  return facts;
};

export class ConsoleHarness {
  work = '';
  data = '';
  server!: ServeProcess;
  browser!: Browser;
  page!: Page;
  key = '';
  modelId = '';
  connId = '';
  modelBytes!: Buffer;

  constructor(private readonly o: HarnessOptions) {}

  /** Starts everything (in a `beforeAll`). */
  async start(): Promise<this> {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    if (!existsSync(join(repoRoot, 'dist', 'web', 'index.html')))
      throw new Error('dist/web is missing: npm run build:web');
    mkdirSync(SHOTS, { recursive: true });
    this.work = await mkdtemp(join(tmpdir(), `kb-web-${this.o.name}-`));
    // The data dir outside the folder the connection uses (serve refuses a --local-root holding it).
    this.data = `${this.work}-data`;
    await this.o.setup?.(this.work);
    await this.startServer();
    this.key = this.server.printedKey as string;
    this.modelBytes = await readFile(exampleModel);
    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([new Uint8Array(this.modelBytes)]), 'mnist-cnn.keras');
    const model = await this.call<{ model: { id: string } }>('POST', '/api/v1/models', form);
    expect(model.status, model.text).toBe(201);
    this.modelId = model.body.model.id;
    if (this.o.connection ?? true) {
      const conn = await this.call<{ id: string }>('POST', '/api/v1/connections', {
        name: 'work',
        type: 'local',
        path: this.work,
      });
      expect(conn.status, conn.text).toBe(201);
      this.connId = conn.body.id;
    }
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    const context = await this.browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      ...this.o.context,
    });
    this.page = await context.newPage();
    this.page.setDefaultTimeout(this.o.timeoutMs ?? 60_000);
    await this.signIn(this.page);
    return this;
  }

  /** Starts the server (again, on `port`: a restart over the same data dir keeps the key). */
  async startServer(port?: number): Promise<ServeProcess> {
    this.server = await startServe(this.data, {}, port, [
      '--local-root',
      this.work,
      ...(this.o.serveArgs ?? []),
    ]);
    return this.server;
  }

  /** Stops everything (in an `afterAll`). */
  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.server?.kill().catch(() => undefined);
    if (this.work) await rm(this.work, { recursive: true, force: true });
    if (this.data) await rm(this.data, { recursive: true, force: true });
  }

  /** A page that opens signed in (the key in its sessionStorage). */
  async signIn(p: Page): Promise<Page> {
    await p.addInitScript((k) => sessionStorage.setItem('keras-batch.api-key', k), this.key);
    return p;
  }

  /** Another page, signed in. */
  async newPage(width: number, height: number, isMobile = false): Promise<Page> {
    const p = await this.browser.newPage({ viewport: { width, height }, isMobile, locale: 'en-US' });
    p.setDefaultTimeout(this.o.timeoutMs ?? 60_000);
    return this.signIn(p);
  }

  call = <T>(method: string, path: string, body?: unknown) =>
    api<T>(this.server, this.key, method, path, body);

  /** How many deployments the server has. */
  deploymentCount = async () => (await this.call<{ total: number }>('GET', '/api/v1/deployments')).body.total;

  /** A fresh Add Deployment → Batch Prediction form for "digits", with `name` typed in. */
  openAddForm = async (name: string) => {
    await this.open(`#/models/${this.modelId}/add`);
    await this.page.reload(); // a fresh form (the same hash again is no navigation)
    await this.page.getByRole('tab', { name: 'Batch Prediction', selected: true }).waitFor();
    await this.page.getByLabel('Name (required)', { exact: true }).fill(name);
  };

  /**
   * A batch deployment of "digits" from the work folder's `source` sub-folder to `out-<name>` (or `target`),
   * with more fields (`options`, `start`, `version`, ...) from `extra`.
   */
  deploy = async (
    name: string,
    source: string,
    extra: Record<string, unknown> & { target?: string } = {},
  ): Promise<DeploymentView> => {
    const { target, ...rest } = extra;
    const d = await this.call<DeploymentView>('POST', '/api/v1/deployments', {
      name,
      type: 'batch',
      model: this.modelId,
      source: { connection: this.connId, bucket: source },
      target: { connection: this.connId, bucket: target ?? `out-${name}` },
      ...rest,
    });
    expect(d.status, d.text).toBe(201);
    return d.body;
  };

  /** The job once it is final (read every 250 ms, for up to `tries` reads). */
  waitFinal = async (jobId: string, tries = 1200): Promise<JobView> => {
    for (let i = 0; i < tries; i += 1) {
      const j = await this.call<JobView>('GET', `/api/v1/jobs/${jobId}`);
      if (FINAL.includes(j.body.status)) return j.body;
      await sleep(250);
    }
    throw new Error(`job ${jobId} did not end`);
  };

  /** Opens a page of the console by its hash (`#/jobs/...`). */
  open = (hash: string, p: Page = this.page) => p.goto(`${this.server.url}/${hash}`);

  /** A full-page screenshot, artifacts/web/<name>.png. */
  shot = (name: string, p: Page = this.page) =>
    p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /**
   * The page as it is now at 390 px and at 1280 px: a screenshot `<name>-<width>.png` of each, no serious or
   * critical axe violation, no sideways scroll (the elements that stick out are named).
   */
  checkWidths = async (name: string, p: Page = this.page): Promise<void> => {
    const wide = () =>
      p.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 5)
          .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
      );
    for (const width of [390, 1280]) {
      await p.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await sleep(150);
      await this.shot(`${name}-${width}`, p);
      expect(await axe(p), `${name} at ${width} px`).toEqual([]);
      expect(
        await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
        `${name} at ${width} px scrolls sideways: ${(await wide()).join('; ')}`,
      ).toBe(true);
    }
  };
}
