/**
 * What the IBM client tests (v3 and v4) share: running a process to its end, starting the built CLI's `serve`,
 * and reading the flow scripts' `STEP … ok` and `HTTP …` lines.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePort } from '../../helpers/serve-process.js';
import { repoRoot } from '../../helpers/shared.js';

export const CLI = join(repoRoot, 'bin', 'keras-batch.js');

/** Runs a command, resolving with its exit code and output (stdout and stderr together). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The built CLI's `serve` on a free port; resolves once it listens, with its URL, printed key and log. */
export async function startBuiltServe(
  dataDir: string,
  args: string[] = [],
  scheme: 'http' | 'https' = 'http',
) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'debug', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = { child, log: '', url: '', key: '' };
  child.stdout?.on('data', (d) => {
    server.log += d;
  });
  child.stderr?.on('data', (d) => {
    server.log += d;
  });
  const deadline = Date.now() + 60_000;
  while (!server.log.includes('keras-batch serving on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start:\n${server.log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.url = /keras-batch serving on (\S+)/.exec(server.log)?.[1] ?? '';
  server.key = /API key[^:]*: (kb_\S+)/.exec(server.log)?.[1] ?? '';
  expect(server.url).toBe(`${scheme}://127.0.0.1:${port}`);
  expect(server.key).toMatch(/^kb_/);
  return server;
}

/** The steps a flow script reported done (`STEP <name> ok`), in order. */
export const stepsDone = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('STEP '))
    .map((l) => /^STEP (.+?) ok/.exec(l)?.[1]);

/** The requests a flow script logged (`HTTP <method> <url> -> <status>`), printed for the test's output. */
export function requestsMade(out: string, client: string) {
  const requests = out.split('\n').filter((l) => l.startsWith('HTTP '));
  console.log(`requests the ${client} client made (${requests.length}):\n${requests.join('\n')}`);
  return requests;
}

/** Each expected call was made with its expected status. */
export function expectCalls(requests: string[], calls: RegExp[]) {
  for (const call of calls)
    expect(
      requests.some((r) => call.test(r)),
      String(call),
    ).toBe(true);
}
