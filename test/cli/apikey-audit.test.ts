/** `keras-batch apikey create --role` and `keras-batch audit`, on the data dir and with --server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { type KerasBatchService, openService } from '../../src/service/index.js';
import { runCli } from '../helpers/cli.js';

describe('apikey --role and audit from the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-cli-roles-'));
  const data = join(dir, 'data');
  let service: KerasBatchService;
  let app: FastifyInstance;
  let url = '';
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    for (const role of ['viewer', undefined]) {
      const run = await runCli([
        'apikey',
        'create',
        '--data-dir',
        data,
        '--name',
        `k-${role ?? 'default'}`,
        ...(role ? ['--role', role] : []),
      ]);
      expect(run.code, run.stderr).toBe(0);
      keys[role ?? 'default'] = run.stdout.trim();
    }
    const logger = pino({ level: 'silent' });
    service = await openService({ dataDir: data, logger, env: {} });
    app = await buildApp({ service, logger });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates keys with the role asked (admin by default) and lists the role', async () => {
    expect(keys.viewer).toMatch(/^kb_/);
    expect(await service.keys.verify(keys.viewer)).toMatchObject({ name: 'k-viewer', role: 'viewer' });
    expect(await service.keys.verify(keys.default)).toMatchObject({ name: 'k-default', role: 'admin' });
    const list = await runCli(['apikey', 'list', '--data-dir', data]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^id\s+name\s+role\s+prefix/);
    expect(list.stdout).toMatch(/k-viewer\s+viewer\s+kb_/);
    expect(list.stdout).toMatch(/k-default\s+admin\s+kb_/);
    expect(list.stdout).not.toContain(keys.viewer);
  });

  it('refuses an unknown role, naming the ones there are', async () => {
    const run = await runCli(['apikey', 'create', '--data-dir', data, '--role', 'root']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--role root: use one of admin, editor, viewer, scorer');
  });

  it('shows the audit log on the data dir and from a server (admin only)', async () => {
    const refused = await fetch(`${url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.viewer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'local', path: dir }),
    });
    expect(refused.status).toBe(403);
    const created = await fetch(`${url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.default}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-api', role: 'scorer' }),
    });
    expect(created.status).toBe(201);

    const local = await runCli(['audit', '--data-dir', data]);
    expect(local.code, local.stderr).toBe(0);
    const lines = local.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^at\s+key_name\s+role\s+method\s+route\s+target_id\s+status$/);
    expect(lines[1]).toMatch(/k-default\s+admin\s+POST\s+\/api\/v1\/keys\s+\S+\s+201$/);
    expect(lines[2]).toMatch(/k-viewer\s+viewer\s+POST\s+\/api\/v1\/connections\s+403$/);
    expect(lines).toHaveLength(3);

    const remote = await runCli([
      'audit',
      '--server',
      url,
      '--api-key',
      keys.default,
      '--outcome',
      'refused',
      '--json',
    ]);
    expect(remote.code, remote.stderr).toBe(0);
    const page = JSON.parse(remote.stdout);
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ key_name: 'k-viewer', status: 403, route: '/api/v1/connections' });

    const viewer = await runCli(['audit', '--server', url, '--api-key', keys.viewer]);
    expect(viewer.code).not.toBe(0);
    expect(viewer.stderr).toContain('GET /api/v1/audit needs role admin (this key is viewer)');
  });
});
