/**
 * Confined local storage, against a real `serve`: without `--local-root` no local folder is usable over HTTP; with
 * one, connections, browsing, previews and deployments stay inside it whatever the path, bucket, prefix or symlink
 * says, and the data dir (its secret key) is never reachable. Each attack here worked before (issue 16).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModel } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'kb-roots-'));
const root = join(work, 'root');
const outside = join(work, 'outside');
const dataDir = join(work, 'data');

describe('local folders over HTTP stay inside --local-root', () => {
  let open: ServeProcess;
  let confined: ServeProcess;
  let openKey: string;
  let key: string;
  const call = <T>(method: string, path: string, body?: unknown) => api<T>(confined, key, method, path, body);

  beforeAll(async () => {
    mkdirSync(join(root, 'in'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'in', 'a.json'), '{"values": [1]}');
    writeFileSync(join(outside, 'secret.txt'), 'do not read me');
    symlinkSync(outside, join(root, 'link-out'));
    symlinkSync(dataDir, join(root, 'link-data'));
    [open, confined] = await Promise.all([
      startServe(join(work, 'data-open')),
      startServe(dataDir, {}, undefined, ['--local-root', root]),
    ]);
    openKey = open.printedKey as string;
    key = confined.printedKey as string;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([open?.stop(), confined?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('without --local-root, local connections (v1 and v3 inline) are refused with 403', async () => {
    const v1 = await api<{ error: { code: string; message: string } }>(
      open,
      openKey,
      'POST',
      '/api/v1/connections',
      {
        name: 'root',
        type: 'local',
        path: root,
      },
    );
    expect(v1.status).toBe(403);
    expect(v1.body.error.message).toMatch(/no local folders .*--local-root/);
    const test = await api(open, openKey, 'POST', '/api/v1/connections/test', {
      type: 'local',
      path: '/etc',
    });
    expect(test.status).toBe(403);
  });

  it('a connection outside the roots, or through a symlink out of them, is refused; inside is accepted', async () => {
    for (const path of [
      '/etc',
      '/',
      `${root}/..`,
      join(root, 'link-out'),
      join(root, 'link-data'),
      dataDir,
    ]) {
      const res = await call<{ error: { code: string } }>('POST', '/api/v1/connections', {
        name: `c-${Math.random()}`,
        type: 'local',
        path,
      });
      expect([path, res.status]).toEqual([path, 403]);
      expect((await call('POST', '/api/v1/connections/test', { type: 'local', path })).status).toBe(403);
    }
    const ok = await call<{ id: string }>('POST', '/api/v1/connections', {
      name: 'root',
      type: 'local',
      path: root,
    });
    expect(ok.status).toBe(201);
  });

  it('browse and preview cannot leave the connection: .., a bucket holding /, a symlinked bucket', async () => {
    const id = (
      await call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/connections')
    ).body.items.find((c) => c.name === 'root')?.id as string;
    const listed = await call<{ items: { key: string }[] }>(
      'GET',
      `/api/v1/connections/${id}/objects?bucket=in`,
    );
    expect(listed.body.items.map((i) => i.key)).toEqual(['a.json']);
    const attempts = [
      `/api/v1/connections/${id}/objects?bucket=..`,
      `/api/v1/connections/${id}/objects?bucket=${encodeURIComponent('in/../..')}`,
      `/api/v1/connections/${id}/objects?bucket=in&prefix=${encodeURIComponent('../../')}`,
      `/api/v1/connections/${id}/objects?bucket=link-out`,
      `/api/v1/connections/${id}/objects?bucket=link-data`,
      `/api/v1/connections/${id}/object?bucket=link-out&key=secret.txt`,
      `/api/v1/connections/${id}/object?bucket=in&key=${encodeURIComponent('../../outside/secret.txt')}`,
      `/api/v1/connections/${id}/object?bucket=link-data&key=secret.key`,
    ];
    for (const url of attempts) {
      const res = await call('GET', url);
      expect([url, res.status]).toEqual([url, expect.toBeOneOf([400, 403, 422])]);
      expect(res.text).not.toContain('do not read me');
    }
  });

  it('a deployment cannot read or write outside the roots (a bucket holding / was written outside before)', async () => {
    const conn = (
      await call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/connections')
    ).body.items.find((c) => c.name === 'root')?.id as string;
    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([readFileSync(exampleModel)]), 'mnist-cnn.keras');
    const model = await call<{ model: { id: string } }>('POST', '/api/v1/models', form);
    expect(model.status).toBe(201);
    for (const [source, target] of [
      [{ bucket: 'in' }, { bucket: 'x/../../outside' }],
      [{ bucket: 'link-out' }, { bucket: 'out' }],
      [{ bucket: 'in' }, { bucket: 'link-out' }],
    ]) {
      const res = await call<{ error: { code: string } }>('POST', '/api/v1/deployments', {
        name: `d-${Math.random()}`,
        type: 'batch',
        model: model.body.model.id,
        source: { connection: conn, ...source },
        target: { connection: conn, ...target },
      });
      expect([JSON.stringify(target), res.status]).toEqual([
        JSON.stringify(target),
        expect.toBeOneOf([400, 403, 422]),
      ]);
    }
  });

  it('serve refuses a --local-root that holds its data dir (the secret key would be browsable)', async () => {
    const res = await runCli([
      'serve',
      '--port',
      '0',
      '--data-dir',
      join(work, 'data-x'),
      '--local-root',
      work,
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/--local-root .* overlaps the data dir/);
  });
});
