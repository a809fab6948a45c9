/**
 * Runs the CLI from source (through tsx) as a child process the test can watch and kill while it works:
 * `killWhen` is polled and the process gets SIGKILL the first time it says so.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliResult } from './cli.js';
import { repoRoot } from './shared.js';

export interface KilledRun extends CliResult {
  /** What `killWhen` returned truthy with (e.g. the output count seen), or null when it never fired. */
  killedAt: number | null;
  /** Milliseconds from spawn to the kill (or to the exit). */
  elapsedMs: number;
}

/**
 * Spawns `keras-batch ARGS`, then every `pollMs` calls `progress()` (e.g. counts outputs in the target)
 * and sends SIGKILL the first time `shouldKill(progress)` holds. Resolves when the process is gone.
 */
export function runCliUntil(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    progress: () => Promise<number>;
    shouldKill: (value: number) => boolean;
    pollMs?: number;
  },
): Promise<KilledRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'entry.ts'), ...args],
    { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let exited = false;
  let killedAt: number | null = null;
  let elapsedMs = 0;
  const closed = new Promise<Pick<CliResult, 'code' | 'signal'>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      if (killedAt === null) elapsedMs = performance.now() - started;
      resolve({ code, signal });
    });
  });
  const watch = async () => {
    while (!exited) {
      const value = await options.progress();
      if (!exited && options.shouldKill(value)) {
        killedAt = value;
        elapsedMs = performance.now() - started;
        child.kill('SIGKILL');
        return;
      }
      await sleep(options.pollMs ?? 20);
    }
  };
  return Promise.all([closed, watch()]).then(([{ code, signal }]) => ({
    code,
    signal,
    stdout,
    stderr,
    killedAt,
    elapsedMs,
  }));
}
