/**
 * A real `serve` with a model, a local connection over a folder and batch jobs made through the API: for the
 * robustness tests that start, kill and restart servers on the same data dir.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { api, type ServeProcess, startServe } from './serve-process.js';

export interface JobServer {
  server: ServeProcess;
  key: string;
}

/** Starts `serve` on `dataDir` with `--local-root files` and `args`; the key is `key` on a restart. */
export async function startJobServer(
  dataDir: string,
  files: string,
  args: string[] = [],
  key?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<JobServer> {
  const server = await startServe(dataDir, env, undefined, ['--local-root', files, ...args]);
  return { server, key: key ?? (server.printedKey as string) };
}

/** Uploads `modelPath` as `name`, adds a connection over `files`, and a deployment from `in` to `out`: its job. */
export async function startDeploymentJob(
  s: JobServer,
  o: {
    model: string;
    name: string;
    files: string;
    source: string;
    target: string;
    /** Called after the deployment is saved and before its job starts (e.g. to remove its source). */
    beforeRun?: () => void;
  },
): Promise<string> {
  const form = new FormData();
  form.set('name', o.name);
  form.set('file', new Blob([await readFile(o.model)]), basename(o.model));
  expect((await api(s.server, s.key, 'POST', '/api/v1/models', form)).status).toBe(201);
  const conn = await api<{ id: string }>(s.server, s.key, 'POST', '/api/v1/connections', {
    type: 'local',
    path: o.files,
  });
  expect(conn.status).toBe(201);
  const created = await api<{ id: string; last_job: JobView }>(
    s.server,
    s.key,
    'POST',
    '/api/v1/deployments',
    {
      name: o.name,
      type: 'batch',
      model: o.name,
      source: { connection: conn.body.id, prefix: o.source },
      target: { connection: conn.body.id, prefix: o.target },
      ...(o.beforeRun ? { start: false } : {}),
    },
  );
  expect(created.status, created.text).toBe(201);
  if (!o.beforeRun) return created.body.last_job.id;
  o.beforeRun();
  const run = await api<{ id: string }>(
    s.server,
    s.key,
    'POST',
    `/api/v1/deployments/${created.body.id}/run`,
  );
  expect(run.status, run.text).toBe(202);
  return run.body.id;
}

export const isFinal = (job: JobView) => ['completed', 'failed', 'canceled'].includes(job.status);

/** Polls the job until it is final (or `until` says so, or the server exits); returns its last view. */
export async function waitJob(
  s: JobServer,
  jobId: string,
  timeoutMs: number,
  until: (job: JobView) => boolean = isFinal,
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let last: JobView | null = null;
  while (Date.now() < deadline) {
    if (s.server.child.exitCode !== null || s.server.child.signalCode !== null) break;
    try {
      last = (await api<JobView>(s.server, s.key, 'GET', `/api/v1/jobs/${jobId}`)).body;
      if (until(last)) return last;
    } catch {
      // the server died between the check and the request
    }
    await sleep(200);
  }
  if (last === null) throw new Error(`job ${jobId}: no answer from the server`);
  return last;
}

/** The job's failures (first page). */
export async function jobFailures(
  s: JobServer,
  jobId: string,
): Promise<{ file: string; code: string; reason: string }[]> {
  const res = await api<{ items: { file: string; code: string; reason: string }[] }>(
    s.server,
    s.key,
    'GET',
    `/api/v1/jobs/${jobId}/failures?limit=1000`,
  );
  return res.body.items;
}
