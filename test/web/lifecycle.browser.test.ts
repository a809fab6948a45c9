/**
 * The lifecycle in real Chromium (Debian's `/usr/bin/chromium`, playwright-core) against a real
 * `keras-batch serve` child process over local folders: the upload's name follows the chosen file after a failed
 * upload (a good model was saved as "bad-notamodel"), a taken name offers a new version, a model renamed, a new
 * version uploaded and chosen in a deployment's Edit form, "Run now", a deployment deleted with its job records
 * kept, a model in use refusing deletion with links to its deployments, a connection in use offering its
 * deployments (names and links, no raw ids). Each dialog is checked with axe at 390 px and 1280 px, reached and
 * closed by keyboard; screenshots go to artifacts/web/lifecycle-*.png.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView, JobView, ModelView } from '../../src/service/index.js';
import { exampleInputs, writeFiles } from '../helpers/batch-files.js';
import { ConsoleHarness, sleep } from './console-harness.js';

describe('web lifecycle: edit, rename, new versions, deletes', () => {
  const h = new ConsoleHarness({
    name: 'life',
    timeoutMs: 30_000,
    async setup(work) {
      const inputs = exampleInputs();
      await writeFiles(
        join(work, 'in'),
        5,
        (i) => `img${i}.json`,
        (i) => inputs[i % 10],
      );
    },
  });
  let work: string;
  let page: Page;
  let connId: string;
  let modelBytes: Buffer;
  const { call, open } = h;
  const deploy = (name: string, extra: Record<string, unknown> = {}): Promise<DeploymentView> =>
    h.deploy(name, 'in', { model: 'digits', start: false, ...extra });
  const shot = (name: string) => h.shot(`lifecycle-${name}`);
  /** axe and no sideways scroll at 390 px and at 1280 px, with a screenshot of each. */
  const checkBothWidths = (name: string) => h.checkWidths(`lifecycle-${name}`);
  const dialog = (testId: string) => page.getByTestId(testId);

  beforeAll(async () => {
    await h.start();
    ({ work, page, connId, modelBytes } = h);
  }, 120_000);
  afterAll(() => h.stop());

  it('after a failed upload the name follows the next file; a taken name offers a new version', async () => {
    await open('#/models');
    await page.getByRole('heading', { name: 'Upload a model' }).waitFor();
    const name = page.getByLabel('Model name');
    await page.locator('#model-file').setInputFiles({
      name: 'bad-notamodel.h5',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not an HDF5 file'),
    });
    expect(await name.inputValue()).toBe('bad-notamodel');
    await page.getByRole('button', { name: 'Upload model' }).click();
    await page.getByText('The model was not added').waitFor();
    await page.locator('#model-file').setInputFiles({
      name: 'good-model.keras',
      mimeType: 'application/octet-stream',
      buffer: modelBytes,
    });
    // The old form kept "bad-notamodel" here and saved the good model under it.
    expect(await name.inputValue()).toBe('good-model');
    // A name the user typed is theirs: choosing another file keeps it.
    await name.fill('my-name');
    await page.locator('#model-file').setInputFiles({
      name: 'other.keras',
      mimeType: 'application/octet-stream',
      buffer: modelBytes,
    });
    expect(await name.inputValue()).toBe('my-name');
    await name.fill('');
    await page.locator('#model-file').setInputFiles({
      name: 'good-model.keras',
      mimeType: 'application/octet-stream',
      buffer: modelBytes,
    });
    expect(await name.inputValue()).toBe('good-model');
    await page.getByRole('button', { name: 'Upload model' }).click();
    await page.getByRole('heading', { name: 'good-model', level: 1 }).waitFor();

    // A name that exists: the upload is refused and offered as the next version of that model.
    await open('#/models');
    await page.locator('#model-file').setInputFiles({
      name: 'digits.keras',
      mimeType: 'application/octet-stream',
      buffer: modelBytes,
    });
    await page.getByRole('button', { name: 'Upload model' }).click();
    const offer = page.getByRole('button', { name: 'Upload as a new version of "digits"' });
    await offer.waitFor();
    await shot('name-taken');
    await offer.click();
    await page.getByRole('heading', { name: 'digits', level: 1 }).waitFor();
    const digits = await call<ModelView>('GET', '/api/v1/models/digits');
    expect(digits.body.latest_version).toBe(2);
    expect((await call<{ total: number }>('GET', '/api/v1/models')).body.total).toBe(2);
  });

  it('renames a model and uploads a new version of it in dialogs (axe at 390 and 1280 px)', async () => {
    const model = (await call<ModelView>('GET', '/api/v1/models/good-model')).body;
    await open(`#/models/${model.id}`);
    await page.getByRole('heading', { name: 'good-model', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Rename' }).click();
    await dialog('rename-model').waitFor();
    await checkBothWidths('rename-model');
    await dialog('rename-model').getByLabel('Model name').fill('digits');
    await dialog('rename-model').getByRole('button', { name: 'Save' }).click();
    await dialog('rename-model').getByText('a model named "digits" already exists').waitFor();
    await dialog('rename-model').getByLabel('Model name').fill('renamed-model');
    await dialog('rename-model').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'renamed-model', level: 1 }).waitFor();
    expect((await call<ModelView>('GET', `/api/v1/models/${model.id}`)).body.name).toBe('renamed-model');

    await page.getByRole('button', { name: 'Upload a new version' }).click();
    await dialog('new-version').waitFor();
    await checkBothWidths('new-version');
    await dialog('new-version')
      .getByLabel('Model file (.h5, .hdf5, .keras)')
      .setInputFiles({ name: 'v2.keras', mimeType: 'application/octet-stream', buffer: modelBytes });
    await dialog('new-version').getByRole('button', { name: 'Upload version 2' }).click();
    await dialog('new-version').waitFor({ state: 'detached' });
    await expect
      .poll(() => page.getByRole('region', { name: 'Versions table' }).locator('tbody tr').count())
      .toBe(2);
  });

  it('edits a deployment (name, model version) by keyboard, then "Run now"', async () => {
    const d = await deploy('nightly', { version: 1 });
    await open(`#/deployments/${d.id}`);
    await page.getByRole('heading', { name: /nightly/, level: 1 }).waitFor();
    expect(await page.getByTestId('model-version').textContent()).toContain(
      'version 1 (the latest is version 2',
    );
    // keyboard: the Edit button opens the dialog with the focus inside; Escape closes it and the focus returns
    const edit = page.getByRole('button', { name: 'Edit' });
    await edit.focus();
    await page.keyboard.press('Enter');
    await dialog('edit-deployment').waitFor();
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    await page.keyboard.press('Escape');
    await dialog('edit-deployment').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Edit');
    await page.keyboard.press('Enter');
    await dialog('edit-deployment').waitFor();
    await checkBothWidths('edit-deployment');
    const form = dialog('edit-deployment');
    await form.getByLabel('Name').fill('nightly-2');
    await form.getByLabel('Version of the model "digits"').selectOption('2');
    await form.getByLabel('Stop early after this many failed inputs').fill('5%');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: /nightly-2/, level: 1 }).waitFor();
    expect(await page.getByTestId('model-version').textContent()).toContain('version 2 (the latest)');
    const saved = (await call<DeploymentView>('GET', `/api/v1/deployments/${d.id}`)).body;
    expect(saved).toMatchObject({ name: 'nightly-2', model_version: 2, options: { max_failures: '5%' } });

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(/#\/jobs\//);
    const jobId = decodeURIComponent(page.url().split('#/jobs/')[1]);
    const jobs = (await call<{ items: JobView[] }>('GET', `/api/v1/jobs?deployment=${d.id}`)).body;
    expect(jobs.items.map((j) => j.id)).toEqual([jobId]);
  });

  it('deletes a deployment keeping its job records: the job stays readable', async () => {
    const d = await deploy('to-delete', { start: true });
    let job: JobView | undefined;
    for (let i = 0; i < 200 && !(job && ['completed', 'failed'].includes(job.status)); i += 1) {
      job = (await call<JobView>('GET', `/api/v1/jobs/${d.last_job?.id}`)).body;
      await sleep(100);
    }
    await open(`#/deployments/${d.id}`);
    await page.getByRole('button', { name: 'Delete deployment' }).click();
    const confirm = dialog('delete-deployment');
    await confirm.waitFor();
    await confirm.getByText('The predictions its jobs wrote to the target are never deleted').waitFor();
    await checkBothWidths('delete-deployment');
    await confirm.getByLabel(/Keep its job records/).check();
    await confirm.getByRole('button', { name: 'Delete deployment' }).click();
    await page.waitForURL(/\/deployments$/);
    expect((await call('GET', `/api/v1/deployments/${d.id}`)).status).toBe(404);
    expect((await call<JobView>('GET', `/api/v1/jobs/${d.last_job?.id}`)).body.status).toBe('completed');
    expect(existsSync(join(work, 'out-to-delete', 'img0.json'))).toBe(true);
    // the kept job's page still shows it
    await open(`#/jobs/${d.last_job?.id}`);
    await page.getByTestId('failures-count').waitFor();
    expect(await page.getByText('This job cannot be shown').count()).toBe(0);
  });

  it('a model in use lists its deployments as links; an unused one is deleted after confirmation', async () => {
    const digits = (await call<ModelView>('GET', '/api/v1/models/digits')).body;
    await open(`#/models/${digits.id}`);
    await page.getByRole('button', { name: 'Delete model' }).click();
    const confirm = dialog('delete-model');
    const link = confirm.getByRole('link', { name: 'nightly-2' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(/^#\/deployments\/.+/);
    await confirm.getByRole('button', { name: 'Delete the model and its deployment' }).waitFor();
    await checkBothWidths('delete-model-in-use');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });

    const renamed = (await call<ModelView>('GET', '/api/v1/models/renamed-model')).body;
    await open(`#/models/${renamed.id}`);
    await page.getByRole('button', { name: 'Delete model' }).click();
    await dialog('delete-model').getByRole('button', { name: 'Delete model' }).click();
    await page.waitForURL(/#\/models$/);
    expect((await call('GET', `/api/v1/models/${renamed.id}`)).status).toBe(404);
  });

  it('deleting a connection in use offers its deployments by name, then deletes them with it', async () => {
    const users = await deploy('reads-work');
    await open('#/connections');
    await page.getByRole('button', { name: 'Delete work' }).click();
    const confirm = dialog('delete-connection');
    await confirm.getByRole('link', { name: 'reads-work' }).waitFor();
    await confirm.getByRole('link', { name: 'nightly-2' }).waitFor();
    const text = (await confirm.textContent()) as string;
    expect(text).not.toContain(connId);
    expect(text).not.toContain(users.id);
    expect(text).not.toMatch(/delete it first|is used by deployment/);
    await checkBothWidths('delete-connection');
    await confirm.getByRole('button', { name: 'Delete the connection and its 2 deployments' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No connections yet').waitFor();
    expect((await call('GET', `/api/v1/deployments/${users.id}`)).status).toBe(404);
  });
});
