/**
 * Child processes of the distributed bench: `keras-batch worker`s and `score` runs, with their CPU
 * time read from /proc/<pid>/stat (utime + stime, in clock ticks) while they live.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Seconds of CPU (user + system) a live process has used, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * Spawns `keras-batch ARGS` (the compiled CLI, as users run it), output collected; with `cpu`, pinned to that
 * core (taskset execs the command, so the pid is the CLI's).
 */
export function spawnCli(
  repoRoot: string,
  args: string[],
  cpu?: number,
): { child: ChildProcess; output: () => string; stdout: () => string } {
  const command = [process.execPath, join(repoRoot, 'bin', 'keras-batch.js'), ...args];
  const [file, ...rest] = cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
  const child = spawn(file, rest, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out, stdout: () => stdout };
}

/** Waits for a child to exit; resolves with its exit code. */
export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/** One steady-state window of a run: from 10% to 90% of the outputs. */
export interface Window {
  files: number;
  seconds: number;
  /** CPU seconds in the window, per watched process name. */
  cpu: Record<string, number>;
}

/**
 * Runs `score ...` to completion while sampling every 150 ms the outputs in `target` and the CPU time of the
 * coordinator and of `watch` (name → pid); returns the window from 10% to the last sample at or below 90% (start-up and tail excluded) and the wall
 * time of the whole run.
 */
export async function measuredScore(
  repoRoot: string,
  args: string[],
  files: number,
  countOutputs: () => Promise<number>,
  watch: Record<string, number[]>,
): Promise<{ window: Window; wallSeconds: number; jobFilesPerSecond: number }> {
  const t0 = performance.now();
  const run = spawnCli(repoRoot, ['score', ...args, '--quiet', '--json']);
  const pid = run.child.pid as number;
  const sample = () => {
    const cpu: Record<string, number> = { self: cpuSeconds(pid) ?? Number.NaN };
    for (const [name, pids] of Object.entries(watch))
      cpu[name] = pids.reduce((s, p) => s + (cpuSeconds(p) ?? 0), 0);
    return cpu;
  };
  type Point = { t: number; n: number; cpu: Record<string, number> };
  let first: Point | null = null;
  let last: Point | null = null;
  let done = false;
  const code = exited(run.child).then((c) => {
    done = true;
    return c;
  });
  while (!done) {
    const n = await countOutputs();
    const point = { t: performance.now(), n, cpu: sample() };
    // The window ends at the last sample at or below 90%: a fast run may leave no sample beyond it.
    if (!first && n >= files * 0.1) first = point;
    else if (first && n <= files * 0.9 && n > first.n) last = point;
    await new Promise((r) => setTimeout(r, 150));
  }
  const exit = await code;
  const wallSeconds = (performance.now() - t0) / 1000;
  if (exit !== 0) throw new Error(`keras-batch score exited ${exit}: ${run.output().slice(-400)}`);
  if (!first || !last) throw new Error('the run was too short to sample a 10%-90% window');
  const a: Point = first;
  const b: Point = last;
  const cpu = Object.fromEntries(Object.keys(b.cpu).map((k) => [k, b.cpu[k] - a.cpu[k]]));
  return {
    window: { files: b.n - a.n, seconds: (b.t - a.t) / 1000, cpu },
    wallSeconds,
    jobFilesPerSecond: (JSON.parse(run.stdout()) as { filesPerSecond: number }).filesPerSecond,
  };
}
