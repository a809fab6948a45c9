/**
 * An S3 connection's keys reach `serve --redis` workers only through the repository: the worker opens the
 * stored connection by id and unseals its keys with the server's secret key from its own environment. The
 * worker runs as on another machine: its own empty folder, no AWS variables, no data dir with PostgreSQL (when
 * KERAS_BATCH_TEST_DATABASE_URL is set; else the server's SQLite data dir), the model file downloaded from the
 * server with an API key. Every Redis command of the run is recorded (MONITOR) and every key read at the end:
 * the keys appear in none, nor in any log or API response. A worker without the secret key fails the job once
 * with a clear reason.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptions } from '../../src/queue/index.js';
import type { DeploymentView, JobView } from '../../src/service/index.js';
import { listEntries } from '../../src/storage/index.js';
import { checkOutput, exampleInputs, exampleModel, range } from '../helpers/batch-files.js';
import { monitorRedis, type RedisMonitor, startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import { api, LOOPBACK_S3, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const FILES = 200;
const SECRET_KEY = randomBytes(32).toString('hex');
const pgUrl = process.env.KERAS_BATCH_TEST_DATABASE_URL;

/** A fresh PostgreSQL database for the run (dropped after), or null for SQLite. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (!pgUrl) return null;
  const name = `kb_redis_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Every string value of every key in Redis (hashes, lists, sets, sorted sets, streams, strings). */
async function dumpRedis(client: Redis): Promise<string[]> {
  const out: string[] = [];
  for (const key of await client.keys('*')) {
    out.push(key);
    const type = await client.type(key);
    if (type === 'string') out.push((await client.get(key)) ?? '');
    else if (type === 'hash') out.push(...Object.values(await client.hgetall(key)));
    else if (type === 'list') out.push(...(await client.lrange(key, 0, -1)));
    else if (type === 'set') out.push(...(await client.smembers(key)));
    else if (type === 'zset') out.push(...(await client.zrange(key, 0, -1)));
    else if (type === 'stream')
      for (const [, fields] of await client.xrange(key, '-', '+')) out.push(...fields);
  }
  return out;
}

describe(`serve --redis with an S3 connection (${pgUrl ? 'PostgreSQL' : 'SQLite'}): keys travel through the repository only`, () => {
  let s3: S3TestServer;
  let redis: TestRedis;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let work: string;
  let server: ServeProcess;
  let key: string;
  let monitor: RedisMonitor;
  const workers: WorkerProcess[] = [];
  /** The worker's environment: nothing of this process's but PATH (no AWS variables, no test settings). */
  const workerEnv = (withKey: boolean): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: join(work, 'worker-home'),
    KERAS_BATCH_API_KEY: key,
    ...(withKey ? { KERAS_BATCH_SECRET_KEY: SECRET_KEY } : {}),
    ...(database ? { DATABASE_URL: database.url } : {}),
  });
  const workerArgs = () => [...(database ? [] : ['--data-dir', join(work, 'data')]), '--server', server.url];
  const call = <T>(method: string, path: string, body?: unknown) => api<T>(server, key, method, path, body);
  const responses: string[] = [];
  const waitFinal = async (id: string) => {
    for (let i = 0; i < 600; i += 1) {
      const res = await call<JobView>('GET', `/api/v1/jobs/${id}`);
      responses.push(res.text);
      if (['completed', 'failed', 'canceled'].includes(res.body.status)) return res.body;
      await sleep(100);
    }
    throw new Error(`job ${id} did not end`);
  };
  const bucket = (name: string) => testBucket(s3, name);

  beforeAll(async () => {
    [s3, redis, database] = await Promise.all([startS3Server(), startTestRedis(), freshDatabase()]);
    work = await mkdtemp(join(tmpdir(), 'kb-serve-s3-'));
    await s3.createBucket('sec-in');
    await s3.createBucket('sec-out');
    const inputs = exampleInputs();
    const driver = bucket('sec-in');
    for (let first = 0; first < FILES; first += 50)
      await Promise.all(range(50).map((j) => driver.put(`img${first + j}.json`, inputs[(first + j) % 10])));
    await driver.close();
    monitor = await monitorRedis(redis.url);
    server = await startServe(
      join(work, 'data'),
      {
        ...LOOPBACK_S3,
        KERAS_BATCH_SECRET_KEY: SECRET_KEY,
        ...(database ? { DATABASE_URL: database.url } : {}),
      },
      undefined,
      ['--redis', redis.url, '--shard-size', '50'],
    );
    key = server.printedKey as string;
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.kill();
    await server?.kill();
    monitor?.close();
    await redis?.stop();
    await s3?.stop();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a worker without the secret key fails the job once, clearly; one with it scores the job', async () => {
    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([await readFile(exampleModel)]), 'mnist-cnn.keras');
    const model = (await call<{ model: { id: string } }>('POST', '/api/v1/models', form)).body.model.id;
    const conn = await call<{ id: string }>('POST', '/api/v1/connections', {
      name: 'cos',
      type: 's3',
      endpoint: s3.endpoint,
      region: s3.region,
      access_key: s3.accessKeyId,
      secret_key: s3.secretAccessKey,
    });
    expect(conn.status).toBe(201);
    responses.push(conn.text);

    const keyless = await startWorker(redis.url, workerArgs(), { env: workerEnv(false), cwd: work });
    workers.push(keyless);
    const created = await call<DeploymentView>('POST', '/api/v1/deployments', {
      name: 'cos-digits',
      type: 'batch',
      model,
      source: { connection: conn.body.id, bucket: 'sec-in' },
      target: { connection: conn.body.id, bucket: 'sec-out' },
    });
    expect(created.status).toBe(201);
    responses.push(created.text);
    const failed = await waitFinal((created.body.last_job as JobView).id);
    expect(failed.status).toBe('failed');
    expect(failed.status_message).toMatch(/connection cos has sealed keys .* set KERAS_BATCH_SECRET_KEY/);
    await keyless.kill();

    workers.push(await startWorker(redis.url, workerArgs(), { env: workerEnv(true), cwd: work }));
    const run = await call<JobView>('POST', `/api/v1/deployments/${created.body.id}/run`);
    expect(run.status).toBe(202);
    const job = await waitFinal(run.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      counts: { total: FILES, scored: FILES, failed: 0, skipped: 0, records: FILES },
    });
    const out = bucket('sec-out');
    const names: string[] = [];
    for await (const e of listEntries(out)) {
      if (e.key.startsWith('_keras-batch/')) continue;
      names.push(e.key);
      checkOutput(e.key, new TextDecoder().decode((await out.get(e.key)).body));
    }
    await out.close();
    expect(names.sort()).toEqual(
      range(FILES)
        .map((i) => `img${i}.json`)
        .sort(),
    );
    responses.push((await call('GET', `/api/v1/deployments/${created.body.id}`)).text);
  }, 120_000);

  it('the keys were in no Redis command, no Redis key, no log and no API response', async () => {
    await sleep(200); // the last MONITOR lines
    const commands = monitor.text().split('\n');
    // MONITOR prints each argument quoted, with the payload's own quotes escaped: \"connectionId\".
    const payloads = commands.filter((c) => c.includes('\\"connectionId\\"'));
    expect(payloads.length).toBeGreaterThan(0); // the shards' payloads were seen: ids, never keys
    const client = new Redis(redisOptions(redis.url));
    const stored = await dumpRedis(client);
    client.disconnect();
    const texts = {
      redisCommands: commands.join('\n'),
      redisKeys: stored.join('\n'),
      serverLogs: server.stdout() + server.stderr(),
      workerLogs: workers.map((w) => w.logs()).join('\n'),
      apiResponses: responses.join('\n'),
    };
    for (const [where, text] of Object.entries(texts)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.includes(s3.secretAccessKey), `secret key in ${where}`).toBe(false);
      expect(text.includes(s3.accessKeyId), `access key in ${where}`).toBe(false);
      expect(text.includes(SECRET_KEY), `sealing key in ${where}`).toBe(false);
    }
  });
});
