/**
 * Runs `keras-batch score` as a user would (`node bin/keras-batch.js`, the compiled CLI), in a child process,
 * with its peak memory (GNU time) when available. `buildCli` compiles it first.
 */

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JobReport } from '../../src/batch/index.js';

export interface CliRun {
  report: JobReport;
  /** Peak resident memory of the process, in MiB (null without /usr/bin/time). */
  peakMiB: number | null;
  wallSeconds: number;
}

/** Compiles src/ to dist/ (what `npm ci` does through `prepare`), so the bench runs the shipped CLI. */
export function buildCli(repoRoot: string): void {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.build.json')], { stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on type errors; only a missing CLI stops the bench.
    if (!existsSync(join(repoRoot, 'dist', 'cli', 'entry.js'))) throw error;
  }
}

export function runScore(repoRoot: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const gnuTime = existsSync('/usr/bin/time');
  const node = [
    process.execPath,
    join(repoRoot, 'bin', 'keras-batch.js'),
    'score',
    ...args,
    '--quiet',
    '--json',
  ];
  const [cmd, ...rest] = gnuTime ? ['/usr/bin/time', '-f', 'PEAK_KB=%M', ...node] : node;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, rest, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(`keras-batch score exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`),
        );
        return;
      }
      const peak = /PEAK_KB=(\d+)/.exec(stderr);
      resolve({
        report: JSON.parse(stdout) as JobReport,
        peakMiB: peak ? Number(peak[1]) / 1024 : null,
        wallSeconds: (performance.now() - t0) / 1000,
      });
    });
  });
}
