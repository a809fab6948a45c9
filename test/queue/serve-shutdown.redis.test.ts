/**
 * `serve`'s bounded shutdown: after SIGTERM it stops taking requests, ends open event streams, hands the running
 * batch jobs back (left `running`, resumed on the next start) and closes the database; when that cannot finish
 * within `--shutdown-timeout` (Redis gone under `serve --redis`) it exits 3 naming the jobs it left.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { manyInputs, startWithRunningJob } from '../helpers/running-job.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';

let work: string;
let redis: TestRedis | undefined;
const servers: ServeProcess[] = [];
const serveWithRunningJob = (name: string, args: string[]) => startWithRunningJob(work, name, args, servers);

beforeAll(async () => {
  work = await manyInputs();
}, 60_000);

afterAll(async () => {
  for (const s of servers) await s.kill().catch(() => undefined);
  await redis?.stop().catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true });
});

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
