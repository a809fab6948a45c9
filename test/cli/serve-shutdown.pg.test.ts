/**
 * `serve` on PostgreSQL whose database stops answering (a proxy in between freezes every connection) while a
 * batch job runs: SIGTERM still ends it within `--shutdown-timeout`, exit 3, naming the job it left.
 * Needs KERAS_BATCH_TEST_DATABASE_URL (scripts/start-postgres.sh): skips without it, except in CI (fails).
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manyInputs, startWithRunningJob } from '../helpers/running-job.js';
import type { ServeProcess } from '../helpers/serve-process.js';

const url = process.env.KERAS_BATCH_TEST_DATABASE_URL;
if (!url && process.env.CI)
  throw new Error('KERAS_BATCH_TEST_DATABASE_URL is not set: CI must run this test');

/** A TCP proxy to PostgreSQL; `freeze()` stops every byte both ways and leaves the connections open. */
async function startFreezableProxy(target: URL): Promise<{ port: number; freeze(): void; close(): void }> {
  const sockets: Socket[] = [];
  let frozen = false;
  const server: Server = createServer((client) => {
    sockets.push(client);
    if (frozen) return client.pause();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.push(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    freeze() {
      frozen = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe.skipIf(!url)('serve on PostgreSQL, the database gone', () => {
  const schema = `kb_stop_${randomBytes(4).toString('hex')}`;
  const servers: ServeProcess[] = [];
  let work: string;
  let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;

  beforeAll(async () => {
    work = await manyInputs();
    proxy = await startFreezableProxy(new URL(url as string));
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) await s.kill().catch(() => undefined);
    proxy?.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('exits 3 within --shutdown-timeout after SIGTERM, naming the running job', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const through = new URL(url as string);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    through.searchParams.set('options', `-c search_path=${schema}`);
    const { server, jobId } = await startWithRunningJob(work, 'pg', ['--shutdown-timeout', '2'], servers, {
      DATABASE_URL: through.toString(),
    });
    expect(server.stdout()).toContain('(postgres:');
    proxy.freeze();
    const started = Date.now();
    await server.stop();
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(9); // 2 s plus start-up noise; it used to wait for the database without end
    expect(server.child.exitCode).toBe(3);
    expect(server.stderr()).toContain('not stopped within --shutdown-timeout 2s');
    expect(server.stderr()).toMatch(new RegExp(`"jobsLeftRunning":\\["${jobId}"\\]`));
  }, 180_000);
});
