/**
 * Soak (only with `--suite soak`): a real `keras-batch serve` under mixed load for `--minutes N` (default 30):
 * batch jobs over 200 local files (a deployment made, run to the end, deleted, again), model uploads (a model
 * stored then deleted, and a junk file refused, in turn), and 4 clients scoring online without pause. The
 * server's RSS, open file descriptors and threads are sampled every few seconds (/proc); after a warm-up (the
 * first fifth, at least 20 s) each must stay flat: RSS within 64 MiB (or 10 %) of its warm value, fds within
 * 16, threads within 4. Prints start/end/max and the least-squares slope; a failed bound fails the run (exit 1).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, Suite, SuiteResult, TargetResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';

const FILES = 200;
const RSS_BOUND_MIB = 64;
const FD_BOUND = 16;
const THREAD_BOUND = 4;

interface Sample {
  s: number;
  rssMiB: number;
  fds: number;
  threads: number;
}

function sample(pid: number, startedMs: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    s: (performance.now() - startedMs) / 1000,
    rssMiB: field('VmRSS') / 1024,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: field('Threads'),
  };
}

/** Least-squares slope of `y` over time, per minute. */
function slopePerMinute(samples: Sample[], y: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.s, 0) / n;
  const my = samples.reduce((a, s) => a + y(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.s - mx) * (y(s) - my);
    den += (s.s - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A small client of the server under test. */
function client(base: string, key: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${key}` } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  return { call };
}

type Client = ReturnType<typeof client>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Batch jobs, one after another, until `until`: each a new deployment over the 200 files, then deleted. */
async function jobsLoop(api: Client, connection: string, files: string, until: () => boolean) {
  let jobs = 0;
  for (let n = 0; !until(); n++) {
    const created = await api.call('POST', '/api/v1/deployments', {
      name: `soak-${n}`,
      type: 'batch',
      model: 'digits',
      source: { connection, prefix: 'in' },
      target: { connection, prefix: `out-${n}` },
    });
    if (created.status !== 201) throw new Error(`soak: deployment refused (${created.status})`);
    const job = (created.body.last_job as { id: string }).id;
    for (;;) {
      const status = (await api.call('GET', `/api/v1/jobs/${job}`)).body.status as string;
      if (['completed', 'failed', 'canceled'].includes(status)) {
        if (status !== 'completed') throw new Error(`soak: job ${job} ended ${status}`);
        break;
      }
      await sleep(200);
    }
    jobs += 1;
    await api.call('DELETE', `/api/v1/deployments/${created.body.id as string}`);
    rmSync(join(files, `out-${n}`), { recursive: true, force: true });
  }
  return jobs;
}

/** Uploads until `until`: a model stored then deleted, a junk file refused, in turn. */
async function uploadsLoop(api: Client, model: Uint8Array, until: () => boolean) {
  let uploads = 0;
  for (let n = 0; !until(); n++) {
    const form = new FormData();
    form.set('name', `soak-up-${n}`);
    const junk = n % 2 === 1;
    form.set(
      'file',
      new Blob([junk ? new Uint8Array(1024 ** 2).fill(7) : model]),
      junk ? 'junk.h5' : 'm.keras',
    );
    const res = await api.call('POST', '/api/v1/models', form);
    if (res.status !== (junk ? 422 : 201)) throw new Error(`soak: upload ${n} answered ${res.status}`);
    if (!junk) await api.call('DELETE', `/api/v1/models/soak-up-${n}`);
    uploads += 1;
    await sleep(1000);
  }
  return uploads;
}

/** One online client scoring without pause until `until` (keep-alive). */
async function onlineLoop(port: number, path: string, key: string, body: string, until: () => boolean) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let requests = 0;
  while (!until()) {
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`online ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    requests += 1;
  }
  agent.destroy();
  return requests;
}

/** The environment a user has: MALLOC_ARENA_MAX unset, unless the soak itself was run with it. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.KERAS_BATCH_RELAUNCHED;
  return env;
}

/**
 * The process that serves: `serve` without MALLOC_ARENA_MAX relaunches itself as a child with it
 * (src/cli/arena-relaunch.ts), so the pid started is a small wrapper and its one child is the server.
 */
function serverPid(pid: number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    return children[0] ? Number(children[0]) : pid;
  } catch {
    return pid;
  }
}

async function startServer(ctx: BenchContext, dataDir: string, files: string) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ctx.repoRoot, 'src', 'cli', 'entry.ts'),
      'serve',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--local-root',
      files,
      '--log-level',
      'warn',
    ],
    { cwd: ctx.repoRoot, env: userEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  for (let i = 0; i < 600 && !out.includes('serving on'); i += 1) await sleep(100);
  const key = /(kb_\S+)/.exec(out)?.[1];
  if (!key) throw new Error(`serve did not start: ${out}`);
  return { child, port, key, pid: serverPid(child.pid as number) };
}

function verdict(
  samples: Sample[],
  warmS: number,
): { lines: string[]; targets: TargetResult[]; data: unknown } {
  const warm = samples.filter((s) => s.s >= warmS);
  const first = warm[0] ?? samples[0];
  const last = samples[samples.length - 1];
  const rows: [string, (s: Sample) => number, number, string][] = [
    ['RSS (MiB)', (s) => s.rssMiB, Math.max(RSS_BOUND_MIB, first.rssMiB * 0.1), 'MiB'],
    ['open fds', (s) => s.fds, FD_BOUND, ''],
    ['threads', (s) => s.threads, THREAD_BOUND, ''],
  ];
  const table = rows.map(([name, y, bound]) => {
    const growth = y(last) - y(first);
    return {
      name,
      start: y(samples[0]),
      warm: y(first),
      end: y(last),
      max: Math.max(...samples.map(y)),
      slope: slopePerMinute(warm, y),
      growth,
      bound,
      pass: growth <= bound,
    };
  });
  const lines = formatTable(
    [
      'measure',
      'start',
      `after warm-up (${warmS.toFixed(0)} s)`,
      'end',
      'max',
      'slope /min',
      'growth',
      'bound',
    ],
    table.map((r) => [
      r.name,
      r.start.toFixed(0),
      r.warm.toFixed(0),
      r.end.toFixed(0),
      r.max.toFixed(0),
      r.slope.toFixed(2),
      r.growth.toFixed(1),
      `≤ ${r.bound.toFixed(0)}`,
    ]),
  );
  const targets = table.map((r) => ({
    name: `soak: ${r.name} flat after warm-up (growth ≤ ${r.bound.toFixed(0)})`,
    measured: `${r.growth >= 0 ? '+' : ''}${r.growth.toFixed(1)} (slope ${r.slope.toFixed(2)}/min)`,
    pass: r.pass,
  }));
  return { lines, targets, data: { table, samples } };
}

export const soakSuite: Suite = {
  name: 'soak',
  description:
    'a real serve under mixed jobs, uploads and online scoring; RSS, fds and threads must stay flat',
  defaultRun: false,
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const minutes = ctx.options.minutes ?? 30;
    const work = mkdtempSync(join(tmpdir(), 'kb-bench-soak-'));
    const files = join(work, 'files');
    mkdirSync(join(files, 'in'), { recursive: true });
    const input = readFileSync(join(ctx.repoRoot, 'examples', 'input', 'img1.json'), 'utf8');
    for (let i = 0; i < FILES; i++) writeFileSync(join(files, 'in', `img${i}.json`), input);
    const model = new Uint8Array(readFileSync(join(ctx.repoRoot, 'examples', 'models', 'mnist-cnn.keras')));
    const server = await startServer(ctx, join(work, 'data'), files);
    try {
      const api = client(`http://127.0.0.1:${server.port}`, server.key);
      const form = new FormData();
      form.set('name', 'digits');
      form.set('file', new Blob([model]), 'mnist-cnn.keras');
      if ((await api.call('POST', '/api/v1/models', form)).status !== 201)
        throw new Error('soak: model refused');
      const conn = (await api.call('POST', '/api/v1/connections', { type: 'local', path: files })).body
        .id as string;
      const online = await api.call('POST', '/api/v1/deployments', {
        name: 'online',
        type: 'online',
        model: 'digits',
      });
      const path = `/api/v1/deployments/${online.body.id as string}/online`;
      const body = JSON.stringify({ values: JSON.parse(input).values });

      const started = performance.now();
      const endAt = started + minutes * 60_000;
      const until = () => performance.now() >= endAt;
      const every = Math.min(5000, Math.max(1000, (minutes * 60_000) / 120));
      const samples: Sample[] = [sample(server.pid, started)];
      const timer = setInterval(() => samples.push(sample(server.pid, started)), every);
      ctx.log(`soak: ${minutes} min of jobs, uploads and 4 online clients; sampling every ${every / 1000} s`);
      const [jobs, uploads, ...requests] = await Promise.all([
        jobsLoop(api, conn, files, until),
        uploadsLoop(api, model, until),
        ...[0, 1, 2, 3].map(() => onlineLoop(server.port, path, server.key, body, until)),
      ]);
      await sleep(every);
      clearInterval(timer);
      samples.push(sample(server.pid, started));
      const warmS = Math.max(20, (minutes * 60) / 5);
      const result = verdict(samples, warmS);
      const scored = requests.reduce((a, b) => a + b, 0);
      if (result.targets.some((t) => !t.pass)) process.exitCode = 1;
      return {
        lines: [
          `${minutes} min: ${jobs} batch jobs of ${FILES} files, ${uploads} uploads, ${scored} online requests; ${samples.length} samples`,
          ...result.lines,
        ],
        data: { minutes, jobs, uploads, online: scored, ...(result.data as object) },
        targets: result.targets,
        notes: [
          'a failed soak bound sets the exit code to 1',
          process.env.MALLOC_ARENA_MAX === undefined
            ? `started as a user would (MALLOC_ARENA_MAX unset): serve relaunched itself with MALLOC_ARENA_MAX=2; pid ${server.pid} sampled${server.pid === server.child.pid ? ' (no relaunch happened)' : ' (the relaunched server)'}`
            : `the server ran with MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX} from the soak's environment`,
        ],
      };
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      rmSync(work, { recursive: true, force: true });
    }
  },
};
