/** A `serve` with a batch job running: for the shutdown tests. */
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { api, type ServeProcess, startServe } from './serve-process.js';
import { repoRoot } from './shared.js';

/** A temp folder whose `files/in` holds `count` copies of an example input (3000: about a minute of scoring). */
export async function manyInputs(count = 3000): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'kb-serve-stop-'));
  await mkdir(join(work, 'files', 'in'), { recursive: true });
  const input = join(repoRoot, 'examples', 'input', 'img1.json');
  for (let i = 0; i < count; i += 50)
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => copyFile(input, join(work, 'files', 'in', `img${i + j}.json`))),
    );
  return work;
}

/**
 * A server on a fresh data dir in `work` with the example model, a local connection over `work/files` and a
 * batch job running (added to `servers` for clean-up); `env` for the server (e.g. DATABASE_URL).
 */
export async function startWithRunningJob(
  work: string,
  name: string,
  args: string[],
  servers: ServeProcess[],
  env: NodeJS.ProcessEnv = {},
) {
  const dataDir = join(work, `${name}-data`);
  const files = join(work, 'files');
  const server = await startServe(dataDir, env, undefined, ['--local-root', files, ...args]);
  servers.push(server);
  const key = server.printedKey as string;
  const form = new FormData();
  form.set('name', 'digits');
  const model = await readFile(join(repoRoot, 'examples', 'models', 'mnist-cnn.keras'));
  form.set('file', new Blob([model]), 'mnist-cnn.keras');
  expect((await api(server, key, 'POST', '/api/v1/models', form)).status).toBe(201);
  const conn = await api<{ id: string }>(server, key, 'POST', '/api/v1/connections', {
    type: 'local',
    path: files,
  });
  const created = await api<{ last_job: JobView }>(server, key, 'POST', '/api/v1/deployments', {
    name,
    type: 'batch',
    model: 'digits',
    source: { connection: conn.body.id, prefix: 'in' },
    target: { connection: conn.body.id, prefix: `out-${name}` },
  });
  expect(created.status).toBe(201);
  const jobId = created.body.last_job.id;
  for (let i = 0; i < 400; i++) {
    const job = await api<JobView>(server, key, 'GET', `/api/v1/jobs/${jobId}`);
    if (job.body.status === 'running') break;
    expect(job.body.status).toBe('queued');
    await sleep(50);
  }
  return { server, key, dataDir, jobId };
}
