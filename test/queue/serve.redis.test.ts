/**
 * `keras-batch serve --redis` end to end, every part a real process: redis-server, the server (SQLite) and two
 * `keras-batch worker` processes that read the model version and the connection from the server's repository
 * by id (one from the artifact store, one downloading the file from the server with an API key). A deployment
 * over 2,000 MNIST files (and 5 broken ones) created through the REST API completes on the workers with one
 * output per input, and the job row, GET job, the SSE stream, the CLI and the report agree; a cancel through
 * the API removes the waiting shards; a server SIGKILLed mid-job resumes it on restart without counting
 * anything twice.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import { redisOptions, SHARD_QUEUE } from '../../src/queue/index.js';
import type { DeploymentView, FailureView, JobView, Page } from '../../src/service/index.js';
import {
  checkOutput,
  countFolderOutputs,
  exampleModel,
  range,
  walkNames,
  writeFiles,
} from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { readJobEvents } from '../helpers/job-events.js';
import { type Mnist, readMnist } from '../helpers/mnist.js';
import { mnistInputText } from '../helpers/mnist-files.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { api, freePort, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { describeShared, sharedDir } from '../helpers/shared.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const FILES = 2000;
const BAD = 5;
const TOTAL = FILES + BAD;
const layout = { shape: 'image', scale: 'div255' } as const;

describeShared('serve --redis: deployments run on worker processes', () => {
  let redis: TestRedis;
  let work: string;
  let dataDir: string;
  let port: number;
  let server: ServeProcess;
  let key: string;
  let mnist: Mnist;
  let modelId: string;
  let connectionId: string;
  const servers: ServeProcess[] = [];
  const workers: WorkerProcess[] = [];
  const serve = async () => {
    server = await startServe(dataDir, {}, port, [
      ...['--redis', redis.url, '--shard-size', '100', '--max-queued-shards', '4', '--local-root', work],
    ]);
    servers.push(server);
    return server;
  };
  const call = <T>(method: string, path: string, body?: unknown) => api<T>(server, key, method, path, body);
  const getJob = async (id: string) => (await call<JobView>('GET', `/api/v1/jobs/${id}`)).body;
  const deploy = async (name: string, target: string, options?: object) => {
    const res = await call<DeploymentView>('POST', '/api/v1/deployments', {
      name,
      type: 'batch',
      model: modelId,
      source: { connection: connectionId, bucket: 'in' },
      target: { connection: connectionId, bucket: target },
      ...(options ? { options } : {}),
    });
    expect(res.status).toBe(201);
    return (res.body.last_job as JobView).id;
  };
  const waitFor = async (id: string, done: (job: JobView) => boolean) => {
    for (let i = 0; i < 1200; i += 1) {
      const job = await getJob(id);
      if (done(job)) return job;
      await sleep(50);
    }
    throw new Error(`job ${id} did not get there: ${JSON.stringify(await getJob(id))}`);
  };
  const isFinal = (j: JobView) => ['completed', 'failed', 'canceled'].includes(j.status);
  /** The outputs in a target folder: exactly one whole, right-format output per good input; their classes. */
  const checkOutputs = async (target: string) => {
    const names = (await walkNames(join(work, target))).filter((n) => !n.startsWith('_keras-batch/'));
    expect(names.sort()).toEqual(
      range(FILES)
        .map((i) => `img${i}.json`)
        .sort(),
    );
    const classes: number[] = [];
    for (const i of range(FILES))
      classes.push(checkOutput(`img${i}.json`, await readFile(join(work, target, `img${i}.json`), 'utf8')));
    // The bundled example CNN classifies about 94% of the MNIST test digits right.
    expect(classes.filter((c, i) => c === mnist.labels[i]).length).toBeGreaterThan(FILES * 0.9);
    return classes;
  };
  let reference: number[] = [];
  const report = async (target: string, runId: string) =>
    JSON.parse(
      await readFile(join(work, target, '_keras-batch', runId, 'report.json'), 'utf8'),
    ) as JobReport & {
      workers: string[];
    };

  beforeAll(async () => {
    mnist = readMnist(sharedDir() as string);
    redis = await startTestRedis();
    work = await mkdtemp(join(tmpdir(), 'kb-serve-redis-'));
    dataDir = `${work}-data`; // outside the folder the connection uses (serve refuses a --local-root holding it)
    port = await freePort();
    await writeFiles(
      join(work, 'in'),
      FILES,
      (i) => `img${i}.json`,
      (i) => mnistInputText(mnist, i, layout),
    );
    for (const i of range(BAD)) await writeFile(join(work, 'in', `bad-${i}.json`), '{"values": [[0.5,');
    await serve();
    key = server.printedKey as string;
    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([await readFile(exampleModel)]), 'mnist-cnn.keras');
    const model = await call<{ model: { id: string } }>('POST', '/api/v1/models', form);
    expect(model.status).toBe(201);
    modelId = model.body.model.id;
    const conn = await call<{ id: string }>('POST', '/api/v1/connections', {
      name: 'work',
      type: 'local',
      path: work,
    });
    connectionId = conn.body.id;
    workers.push(
      ...(await Promise.all([
        startWorker(redis.url, ['--data-dir', dataDir]),
        startWorker(redis.url, ['--data-dir', dataDir, '--server', server.url], {
          env: { ...process.env, KERAS_BATCH_API_KEY: key },
        }),
      ])),
    );
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.kill();
    for (const s of servers) await s.kill().catch(() => undefined);
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a deployment through the REST API completes on both workers; job row, SSE, CLI and report agree', async () => {
    const jobId = await deploy('all', 'out-all');
    const events = await readJobEvents(server, key, jobId);
    const job = await getJob(jobId);
    expect(job).toMatchObject({
      status: 'completed',
      status_message: `${BAD} input(s) failed`,
      attempts: 1,
      interrupted: false,
      listing_done: true,
      progress: 1,
      counts: { total: TOTAL, scored: FILES, failed: BAD, skipped: 0, records: FILES },
    });
    expect(job.files_per_second).toBeGreaterThan(0);
    expect(job.records_per_second).toBeGreaterThan(0);
    reference = await checkOutputs('out-all');

    // The stream showed the job running, with counts that only grow and never exceed what was listed.
    expect(events.at(-1)).toMatchObject({ status: 'completed', counts: job.counts });
    const running = events.filter((e) => e.status === 'running');
    const midway = running.filter((e) => {
      const done = e.counts.scored + e.counts.failed + e.counts.skipped;
      return done > 0 && done < TOTAL;
    });
    expect(midway.length).toBeGreaterThan(0);
    for (const [i, e] of events.entries()) {
      expect(e.counts.scored + e.counts.failed + e.counts.skipped).toBeLessThanOrEqual(e.counts.total);
      if (i > 0) expect(e.counts.scored).toBeGreaterThanOrEqual(events[i - 1].counts.scored);
    }

    const failures = await call<Page<FailureView>>('GET', `/api/v1/jobs/${jobId}/failures`);
    expect(failures.body.total).toBe(BAD);
    expect(failures.body.items.map((f) => f.file).sort()).toEqual(range(BAD).map((i) => `bad-${i}.json`));
    expect(failures.body.items.every((f) => f.stage === 'parse')).toBe(true);

    const written = await report('out-all', `${jobId}-1`);
    expect(written.counts).toMatchObject({
      total: TOTAL,
      scored: FILES,
      failed: BAD,
      skipped: 0,
      records: FILES,
    });
    expect(written.failures).toHaveLength(BAD);
    expect(written.workers).toHaveLength(2); // both workers: the artifact-store one and the downloading one

    const cli = await runCli(['jobs', 'show', jobId, '--server', server.url, '--api-key', key]);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'completed', counts: job.counts });
  }, 120_000);

  it('a cancel through the API stops enqueuing and removes the waiting shards', async () => {
    const jobId = await deploy('cancel', 'out-cancel', { batch_size: 4, concurrency: 1 });
    await waitFor(jobId, (j) => j.counts.scored >= 100 || isFinal(j));
    const canceled = await call<JobView>('POST', `/api/v1/jobs/${jobId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    const queue = new Queue(SHARD_QUEUE, { connection: redisOptions(redis.url) });
    try {
      const waiting = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(waiting.filter((j) => j.data.jobId === jobId)).toEqual([]);
      const client = (await queue.client) as unknown as Redis;
      expect(await client.exists(`keras-batch:job:${jobId}:results`)).toBe(0);
    } finally {
      await queue.close();
    }
    // Shards taken before the cancel finish; nothing new starts: the outputs stop short of the inputs.
    let settled = -1;
    for (let seen = await countFolderOutputs(join(work, 'out-cancel')); seen !== settled; ) {
      settled = seen;
      await sleep(1500);
      seen = await countFolderOutputs(join(work, 'out-cancel'));
    }
    expect(settled).toBeLessThan(FILES);
    expect((await getJob(jobId)).status).toBe('canceled');
  }, 60_000);

  it('a server killed mid-job resumes it on restart: the coordinator re-attaches, nothing counted twice', async () => {
    // The workers are processes of their own and can be far ahead of the server's counts (CI saw all 2,000
    // outputs written when the server had counted 300, and the job completed before a poll saw it running): the
    // shard queue is paused (BullMQ) so the job is surely mid-way when the server dies, and resumed after.
    const shards = new Queue(SHARD_QUEUE, { connection: redisOptions(redis.url) });
    let jobId = '';
    await shards.pause();
    try {
      jobId = await deploy('restart', 'out-restart', { batch_size: 4, concurrency: 1 });
      const before = await waitFor(jobId, (j) => j.status === 'running' || isFinal(j));
      expect(before.status).toBe('running');
      await server.kill();
      expect(await countFolderOutputs(join(work, 'out-restart'))).toBe(0);
    } finally {
      await shards.resume();
      await shards.close();
    }
    await serve();
    expect(server.printedKey).toBeNull();
    const job = await waitFor(jobId, isFinal);
    expect(job).toMatchObject({ status: 'completed', interrupted: true, attempts: 2, listing_done: true });
    // Shards enqueued before the crash were not enqueued again, nor counted twice (with resume they would show
    // as skipped); every shard was added to the queue once (BullMQ's event stream).
    expect(job.counts).toMatchObject({ total: TOTAL, scored: FILES, failed: BAD, skipped: 0 });
    const queue = new Queue(SHARD_QUEUE, { connection: redisOptions(redis.url) });
    try {
      const client = (await queue.client) as unknown as Redis;
      const stream = await client.xrange(`bull:${SHARD_QUEUE}:events`, '-', '+');
      const added = stream
        .map(([, fields]) =>
          Object.fromEntries(range(fields.length / 2).map((i) => [fields[2 * i], fields[2 * i + 1]])),
        )
        .filter((e) => e.event === 'added' && e.jobId.startsWith(`${jobId}-`))
        .map((e) => e.jobId);
      expect(added.length).toBe(Math.ceil(TOTAL / 100));
      expect(new Set(added).size).toBe(added.length);
    } finally {
      await queue.close();
    }
    expect(await checkOutputs('out-restart')).toEqual(reference);
    const failures = await call<Page<FailureView>>('GET', `/api/v1/jobs/${jobId}/failures`);
    expect(failures.body.total).toBe(BAD);
    const written = await report('out-restart', `${jobId}-2`);
    expect(written.counts).toMatchObject(job.counts);
    expect(existsSync(join(work, 'out-restart', '_keras-batch', `${jobId}-1`))).toBe(false);
    expect(server.stderr()).toContain('job was interrupted by a server stop: resuming it');
  }, 120_000);
});
