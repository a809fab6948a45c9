/**
 * Bounded shutdown: a `keras-batch worker` whose Redis has gone away used to ignore SIGTERM for more than 25
 * minutes. Now it exits within `--shutdown-timeout`, non-zero, saying what it left.
 */
import { afterAll, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

let redis: TestRedis;
let worker: WorkerProcess;

afterAll(async () => {
  await worker?.kill();
  await redis?.stop().catch(() => undefined);
});

it('a worker stops within --shutdown-timeout after SIGTERM with Redis gone, exit 3, naming what it left', async () => {
  redis = await startTestRedis();
  worker = await startWorker(redis.url, ['--shutdown-timeout', '2']);
  await redis.crash();
  const started = Date.now();
  await worker.stop();
  const seconds = (Date.now() - started) / 1000;
  expect(seconds).toBeLessThan(20); // 2 s plus process start-up noise; it used to wait for Redis forever
  expect(worker.child.exitCode).toBe(3);
  expect(worker.logs()).toContain('not stopped within --shutdown-timeout 2s');
  expect(worker.logs()).toContain('"inHand":[]');
}, 60_000);
