/**
 * `serve` and `worker` started without MALLOC_ARENA_MAX relaunch themselves with MALLOC_ARENA_MAX=2 (glibc keeps
 * a malloc arena per model thread otherwise, and the server's RSS grew ~12 MiB/min in the soak): the process
 * started is then a small wrapper whose one child serves; signals reach the child, and a SIGKILLed wrapper takes
 * the child with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shouldRelaunch } from '../../src/cli/arena-relaunch.js';
import { repoRoot } from '../helpers/cli.js';
import { freePort } from '../helpers/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'kb-relaunch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const glibc = Boolean(
  (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
);

/** Starts `serve` as a user would: MALLOC_ARENA_MAX unset. Resolves once it serves, with the wrapper's child. */
async function startUserServe(name: string): Promise<{ wrapper: ChildProcess; child: number; url: string }> {
  const port = await freePort();
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  const wrapper = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'entry.ts'), 'serve', '--port', String(port)].concat([
      '--data-dir',
      join(work, name),
      '--log-level',
      'warn',
    ]),
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  process.once('exit', () => wrapper.kill('SIGKILL'));
  let out = '';
  wrapper.stdout?.on('data', (d) => {
    out += d;
  });
  for (let i = 0; i < 600 && !out.includes('serving on'); i++) await new Promise((r) => setTimeout(r, 100));
  expect(out).toContain('serving on');
  const pid = wrapper.pid as number;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  expect(children).toHaveLength(1);
  return { wrapper, child: Number(children[0]), url: `http://127.0.0.1:${port}` };
}

/** Whether `pid` runs (exists and is no zombie). */
function running(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const exited = (p: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    p.once('exit', (code, signal) => resolve({ code, signal })),
  );

describe('the MALLOC_ARENA_MAX relaunch', () => {
  it('relaunches only long-running commands, only when the variable is unset and not turned off', () => {
    const argv = (...a: string[]) => ['node', 'keras-batch', ...a];
    expect(shouldRelaunch(argv('serve', '--port', '1'), {})).toBe(glibc);
    expect(shouldRelaunch(argv('worker', '--redis', 'redis://x'), {})).toBe(glibc);
    expect(shouldRelaunch(argv('score', '-m', 'm.keras'), {})).toBe(false);
    expect(shouldRelaunch(argv('serve'), { MALLOC_ARENA_MAX: '4' })).toBe(false);
    expect(shouldRelaunch(argv('serve'), { KERAS_BATCH_RELAUNCH: '0' })).toBe(false);
    expect(shouldRelaunch(argv('serve'), { KERAS_BATCH_RELAUNCHED: '1' })).toBe(false);
  });

  it.runIf(glibc)(
    'serves from a child with MALLOC_ARENA_MAX=2; SIGTERM reaches it and its exit code comes back',
    async () => {
      const { wrapper, child, url } = await startUserServe('term');
      expect(environ(child)).toContain('MALLOC_ARENA_MAX=2');
      expect(environ(wrapper.pid as number)).not.toContain('MALLOC_ARENA_MAX=2');
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const done = exited(wrapper);
      wrapper.kill('SIGTERM');
      expect(await done).toEqual({ code: 0, signal: null });
      expect(running(child)).toBe(false);
    },
  );

  it.runIf(glibc)('a SIGKILLed wrapper takes its child with it (no server left running)', async () => {
    const { wrapper, child, url } = await startUserServe('kill');
    const done = exited(wrapper);
    wrapper.kill('SIGKILL');
    await done;
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = running(child);
    }
    expect(alive).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
