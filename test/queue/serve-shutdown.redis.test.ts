/**
 * `serve`'s bounded shutdown: after SIGTERM it stops taking requests, ends open event streams, hands the running
 * batch jobs back (left `running`, resumed on the next start) and closes the database; when that cannot finish
 * within `--shutdown-timeout` (Redis gone under `serve --redis`) it exits 3 naming the jobs it left.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';

const INPUTS = 3000; // about a minute of scoring here: the job is surely running when the signal comes
let work: string;
let redis: TestRedis | undefined;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kb-serve-stop-'));
  await mkdir(join(work, 'files', 'in'), { recursive: true });
  const input = join(repoRoot, 'examples', 'input', 'img1.json');
  for (let i = 0; i < INPUTS; i += 50)
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => copyFile(input, join(work, 'files', 'in', `img${i + j}.json`))),
    );
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.kill().catch(() => undefined);
  await redis?.stop().catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true });
});

/** A server on a fresh data dir with the example model, a local connection and a batch job running. */
async function serveWithRunningJob(name: string, args: string[]) {
  const dataDir = join(work, `${name}-data`);
  const files = join(work, 'files');
  const server = await startServe(dataDir, {}, undefined, ['--local-root', files, ...args]);
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

it('hands a running job back and exits 0 within the timeout, an open event stream not holding it', async () => {
  const { server, key, dataDir, jobId } = await serveWithRunningJob('local', ['--shutdown-timeout', '20']);
  const events = await fetch(`${server.url}/api/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(events.status).toBe(200);
  const streamed = events.text(); // ends when the server ends the stream
  const started = Date.now();
  await server.stop();
  const seconds = (Date.now() - started) / 1000;
  expect(seconds).toBeLessThan(10); // the stream used to hold the close open; now it ends at once
  expect(server.child.exitCode).toBe(0);
  expect(await streamed).toContain('event: job');
  expect(server.stderr()).toContain('running jobs are handed back');
  expect(server.stderr()).toContain(jobId);

  // The next start resumes the job handed back.
  const again = await startServe(dataDir, {}, undefined, ['--local-root', join(work, 'files')]);
  servers.push(again);
  const job = await api<JobView>(again, key, 'GET', `/api/v1/jobs/${jobId}`);
  expect(job.body.interrupted).toBe(true);
  expect(['running', 'queued', 'completed']).toContain(job.body.status);
  await again.kill();
}, 180_000);

it('with Redis gone (serve --redis), exits 3 within --shutdown-timeout naming the job it left', async () => {
  redis = await startTestRedis();
  // No worker: the job is running (listing and queueing shards) when Redis goes away.
  const { server, jobId } = await serveWithRunningJob('redis', [
    ...['--redis', redis.url, '--shutdown-timeout', '2', '--shard-size', '10'],
  ]);
  await redis.crash();
  const started = Date.now();
  await server.stop();
  const seconds = (Date.now() - started) / 1000;
  expect(seconds).toBeLessThan(9); // 2 s plus start-up noise; it used to wait for Redis without end
  expect(server.child.exitCode).toBe(3);
  expect(server.stderr()).toContain('not stopped within --shutdown-timeout 2s');
  expect(server.stderr()).toMatch(new RegExp(`"jobsLeftRunning":\\["${jobId}"\\]`));
}, 180_000);
