/**
 * The Online tab's small things and the connection form's type, in real Chromium (Debian's `/usr/bin/chromium`,
 * playwright-core) against a real `keras-batch serve` child process: an empty drawing warns instead of scoring,
 * "The seed's JSON" is the server's answer text as written, the scoring URL with curl and Python snippets (the
 * key as `$KERAS_BATCH_API_KEY`, never the real one; the curl and Python snippets are run), latency after each
 * score, and a connection form that stays on "Folder on the server" after a test and a save. Axe and no sideways
 * scroll at 390 px and 1280 px on the Online tab; screenshots go to artifacts/web/online-*.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../src/service/index.js';
import { exampleInputs } from '../helpers/batch-files.js';
import { repoRoot } from '../helpers/shared.js';
import { axe } from './axe.js';
import { ConsoleHarness, sleep } from './console-harness.js';

const PYTHON = join(repoRoot, '.venv', 'bin', 'python');

describe('web online extras: empty drawing, server JSON, snippets, latency; connection form type', () => {
  const h = new ConsoleHarness({
    name: 'online',
    connection: false,
    timeoutMs: 30_000,
    context: { permissions: ['clipboard-read', 'clipboard-write'] },
  });
  let work: string;
  let page: Page;
  let key: string;
  let depId: string;
  const { call, open } = h;
  const shot = (name: string) => h.shot(`online-${name}`);
  const onlineTab = async () => {
    await open(`#/deployments/${depId}`);
    await page.getByRole('heading', { name: 'Score online' }).waitFor();
  };

  beforeAll(async () => {
    await h.start();
    ({ work, page, key } = h);
    const dep = await call<DeploymentView>('POST', '/api/v1/deployments', {
      name: 'digits-online',
      type: 'online',
      model: 'digits',
    });
    expect(dep.status, dep.text).toBe(201);
    depId = dep.body.id;
  }, 120_000);
  afterAll(() => h.stop());

  it('an empty drawing is not scored: "Draw a digit first" in a polite live region', async () => {
    await onlineTab();
    await page.getByRole('button', { name: 'Score the drawing' }).click();
    const note = page.getByTestId('online-note');
    await expect.poll(() => note.textContent()).toMatch(/^Draw a digit first/);
    expect(await note.getAttribute('role')).toBe('status');
    expect(await note.getAttribute('aria-live')).toBe('polite');
    // Nothing was sent: no prediction comes (the old page scored the black canvas as a class).
    await sleep(1500);
    expect(await page.getByTestId('predicted-class').count()).toBe(0);
    // Drawn then cleared: empty again, the same warning.
    const canvas = page.getByRole('img', { name: /draw a digit/ });
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.8, { steps: 8 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Score the drawing' }).click();
    await sleep(1000);
    expect(await page.getByTestId('predicted-class').count()).toBe(0);
    expect(await note.textContent()).toMatch(/^Draw a digit first/);
    // A drawing is scored, and the warning goes.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.8, { steps: 8 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Score the drawing' }).click();
    await expect.poll(() => page.getByTestId('predicted-class').textContent()).toMatch(/^\d$/);
    expect(await note.textContent()).toBe('');
  }, 60_000);

  it("shows the server's answer text as The seed's JSON, and the round-trip latency", async () => {
    const input = exampleInputs()[3];
    const raw = await fetch(`${h.server.url}/api/v1/deployments/${depId}/online`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: input,
    });
    expect(raw.status).toBe(200);
    const serverText = await raw.text();
    // The check below can tell the two apart: the server's numbers are not the browser's re-serialisation.
    expect(JSON.stringify(JSON.parse(serverText))).not.toBe(serverText);
    await onlineTab();
    await page.getByLabel('Seed-format input').fill(input);
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.getByTestId('predicted-class').waitFor();
    await page.getByText("The seed's JSON").click();
    expect(await page.locator('.result details pre').first().textContent()).toBe(serverText);
    expect(await page.getByTestId('latency').textContent()).toMatch(/^Round trip: \d[\d,]* ms/);
    const first = await page.getByTestId('latency').textContent();
    // After each score: the latency is measured again (the old value is cleared while scoring).
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.getByTestId('predicted-class').waitFor();
    expect(await page.getByTestId('latency').textContent()).toMatch(/^Round trip: \d[\d,]* ms/);
    expect(first).toBeTruthy();
  }, 60_000);

  it('shows the scoring URL, curl and Python snippets with the key as a placeholder; they run and copy', async () => {
    await onlineTab();
    const url = `${h.server.url}/api/v1/deployments/${depId}/online`;
    expect(await page.getByTestId('scoring-url').textContent()).toBe(url);
    const curl = (await page.getByTestId('curl-snippet').textContent()) ?? '';
    const python = (await page.getByTestId('python-snippet').textContent()) ?? '';
    for (const snippet of [curl, python]) {
      expect(snippet).toContain(url);
      expect(snippet).toContain('KERAS_BATCH_API_KEY');
      expect(snippet).not.toContain(key);
    }
    expect(curl).toContain('$KERAS_BATCH_API_KEY');
    expect(await page.content()).not.toContain(key);
    // The snippets work as shown, with the key from the environment and input.json beside them.
    const dir = await mkdtemp(join(tmpdir(), 'kb-snippet-'));
    try {
      await writeFile(join(dir, 'input.json'), exampleInputs()[0]);
      const env = { ...process.env, KERAS_BATCH_API_KEY: key };
      const byCurl = execFileSync('bash', ['-c', `${curl} --fail --silent --show-error`], { cwd: dir, env });
      expect(JSON.parse(byCurl.toString()).fields).toContain('prediction');
      if (existsSync(PYTHON)) {
        const byPython = execFileSync(PYTHON, ['-c', python], { cwd: dir, env }).toString();
        expect(byPython).toContain("'prediction'");
      } else if (process.env.CI) throw new Error(`no Python at ${PYTHON}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Copy puts the text on the clipboard and says so.
    await page.getByRole('button', { name: 'Copy Scoring URL' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await page.getByRole('button', { name: 'Copy curl' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(curl);
    // axe and no sideways scroll on the Online tab with a result, at both widths.
    await page.getByLabel('Seed-format input').fill(exampleInputs()[1]);
    await page.getByRole('button', { name: 'Score', exact: true }).click();
    await page.getByTestId('predicted-class').waitFor();
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      await sleep(150);
      await shot(`tab-${width}`);
      expect(await axe(page), `the Online tab at ${width} px`).toEqual([]);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
        `the Online tab at ${width} px scrolls sideways`,
      ).toBe(true);
    }
  }, 90_000);

  it('the connection form stays on "Folder on the server" after a test, a failed save and a save', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await open('#/connections');
    await page.getByRole('heading', { name: 'Add a connection' }).waitFor();
    const folder = page.getByRole('radio', { name: 'Folder on the server' });
    await folder.check();
    const stillFolder = async (when: string) => {
      expect(await folder.isChecked(), `after ${when}`).toBe(true);
      expect(await page.getByLabel(/Folder path/).count(), `after ${when}`).toBe(1);
      expect(await page.getByLabel(/Endpoint URL/).count(), `after ${when}`).toBe(0);
    };
    await page.getByLabel(/Connection name/).fill('a-folder');
    await page.getByLabel(/Folder path/).fill(join(work, 'does-not-exist'));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/^Connection (failed|works)/).waitFor();
    await stillFolder('a test');
    await page.getByLabel(/Folder path/).fill('/definitely/outside/the/roots');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByText(/^Not saved/).waitFor();
    await stillFolder('a failed save');
    await page.getByLabel(/Folder path/).fill(work);
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByText('Saved "a-folder"').waitFor();
    await stillFolder('a save');
    // The saved form is empty for the next one.
    expect(await page.getByLabel(/Connection name/).inputValue()).toBe('');
    expect(await page.getByLabel(/Folder path/).inputValue()).toBe('');
  }, 60_000);
});
