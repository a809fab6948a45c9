/**
 * Nothing phones home: `score`, `serve` and `worker` (the compiled CLI, as installed) run under `strace` with
 * `HOME` and `TMPDIR` pointing at empty folders and `ORT_DISABLE_TELEMETRY` unset. Afterwards both folders are
 * still empty (onnxruntime's telemetry wrote `~/.cache/Microsoft/…` and `$TMPDIR/mat-debug-<pid>.log`), and no
 * process connected anywhere but loopback (redis, the server) or a Unix socket.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleInputs, exampleModel } from '../helpers/batch-files.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { api, freePort } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';

const bin = join(repoRoot, 'bin', 'keras-batch.js');

function straceAvailable(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every `connect()` target in an strace log that is not loopback or a Unix socket. */
function outboundConnects(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.includes('connect('))
    .filter((line) => !line.includes('AF_UNIX') && !line.includes('AF_LOCAL'))
    .filter(
      (line) => !/inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6, "(::1|::ffff:127\.0\.0\.1)"/.test(line),
    );
}

/** Files under `dir`, recursively (dot files included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

describe.skipIf(!straceAvailable() && !process.env.CI)('no telemetry, no outbound connection', () => {
  let work: string;
  let home: string;
  let temp: string;
  let redis: TestRedis;
  const children: ChildProcess[] = [];
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: temp };
    delete e.ORT_DISABLE_TELEMETRY;
    delete e.CI; // onnxruntime's telemetry stays quiet where CI is set, which would hide it here
    return e;
  };
  /** `keras-batch ARGS` under `strace -f`, in its own process group (SIGTERM reaches strace and node alike). */
  const traced = (name: string, args: string[]) => {
    const child = spawn(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=connect',
        '-o',
        join(work, `${name}.strace`),
        process.execPath,
        bin,
        ...args,
      ],
      { cwd: work, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  };
  const stopGroup = async (child: ChildProcess, exited: Promise<unknown>) => {
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    await sleep(200); // node exits after strace's own exit notice
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-no-telemetry-'));
    home = join(work, 'home');
    temp = join(work, 'tmp');
    mkdirSync(home);
    mkdirSync(temp);
    mkdirSync(join(work, 'in'));
    for (const [i, text] of exampleInputs().entries())
      writeFileSync(join(work, 'in', `img${i + 1}.json`), text);
    redis = await startTestRedis();
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) process.kill(-(c.pid as number), 'SIGKILL');
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(`${work}-data`, { recursive: true, force: true });
  });

  it('score writes only its outputs and connects nowhere', async () => {
    const run = traced('score', ['score', '--model', exampleModel, '--source', 'in', '--target', 'out']);
    expect(await run.exited, run.output()).toBe(0);
    expect(readdirSync(join(work, 'out')).filter((f) => f.endsWith('.json')).length).toBe(
      exampleInputs().length,
    );
    expect(filesUnder(home)).toEqual([]);
    expect(filesUnder(temp)).toEqual([]);
    const log = readFileSync(join(work, 'score.strace'), 'utf8');
    expect(outboundConnects(log)).toEqual([]);
  }, 60_000);

  it('serve and worker score a deployment writing nothing in HOME or TMPDIR and connect only to loopback', async () => {
    const port = await freePort();
    const dataDir = `${work}-data`; // outside the --local-root
    const serve = traced('serve', [
      ...['serve', '--port', String(port), '--data-dir', dataDir, '--redis', redis.url, '--local-root', work],
    ]);
    const deadline = Date.now() + 60_000;
    while (!serve.output().includes('keras-batch serving on')) {
      if (Date.now() > deadline || serve.child.exitCode !== null) throw new Error(serve.output());
      await sleep(100);
    }
    const key = /API key[^:]*: (kb_\S+)/.exec(serve.output())?.[1] as string;
    const server = { url: `http://127.0.0.1:${port}` };
    const worker = traced('worker', [
      'worker',
      '--redis',
      redis.url,
      '--data-dir',
      dataDir,
      '--threads',
      '1',
    ]);

    const form = new FormData();
    form.set('name', 'digits');
    form.set('file', new Blob([readFileSync(exampleModel)]), 'mnist-cnn.keras');
    const model = await api<{ model: { id: string } }>(server, key, 'POST', '/api/v1/models', form);
    expect(model.status).toBe(201); // the upload compiles the model: the engine is loaded in the server
    const conn = await api<{ id: string }>(server, key, 'POST', '/api/v1/connections', {
      name: 'work',
      type: 'local',
      path: work,
    });
    const deployment = await api<{ last_job: { id: string } }>(server, key, 'POST', '/api/v1/deployments', {
      name: 'digits-batch',
      type: 'batch',
      model: model.body.model.id,
      source: { connection: conn.body.id, bucket: 'in' },
      target: { connection: conn.body.id, bucket: 'out-served' },
    });
    expect(deployment.status).toBe(201);
    let status = '';
    for (let i = 0; i < 600 && !['completed', 'failed', 'canceled'].includes(status); i += 1) {
      await sleep(100);
      const job = await api<{ status: string }>(
        server,
        key,
        'GET',
        `/api/v1/jobs/${deployment.body.last_job.id}`,
      );
      status = job.body.status;
    }
    expect(status).toBe('completed'); // scored by the worker: the engine is loaded there too

    await stopGroup(worker.child, worker.exited);
    await stopGroup(serve.child, serve.exited);
    expect(filesUnder(home)).toEqual([]);
    expect(filesUnder(temp)).toEqual([]);
    for (const name of ['serve', 'worker']) {
      const log = readFileSync(join(work, `${name}.strace`), 'utf8');
      expect(log).toContain('connect('); // the trace did see the process's connections (redis at least)
      expect(outboundConnects(log), name).toEqual([]);
    }
  }, 120_000);
});
