/**
 * Runs `keras-batch serve` as a child process (`node --import tsx src/cli/entry.ts serve ...`), as a user
 * would, and talks to it over HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** The API key printed on first start (null on later starts). */
  printedKey: string | null;
  stdout(): string;
  stderr(): string;
  /** SIGKILL: a crash, nothing cleaned up. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * The environment that lets a server's connections reach the S3 test server on loopback (by default `serve`
 * allows only https endpoints outside loopback and private ranges).
 */
export const LOOPBACK_S3 = { KERAS_BATCH_S3_ENDPOINT_ALLOW: 'http://127.0.0.1:*' } as const;

/** Starts `keras-batch serve` on `port` (default a free one) with `args` after the usual options. */
export async function startServe(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
  port?: number,
  args: string[] = [],
): Promise<ServeProcess> {
  const p = port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src', 'cli', 'entry.ts'),
      'serve',
      '--port',
      String(p),
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const deadline = Date.now() + 60_000;
  while (!out.includes('keras-batch serving on')) {
    if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}):\n${out}\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start within 60 s:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${p}`,
    child,
    printedKey: /API key[^:]*: (kb_\S+)/.exec(out)?.[1] ?? null,
    stdout: () => out,
    stderr: () => err,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A JSON request with the bearer key; returns status and parsed body. */
export async function api<T = unknown>(
  server: { url: string },
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T; text: string }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${key}` } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
}
