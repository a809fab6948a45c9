/** The Keras baseline: `bench/keras_baseline.py` run with the repo's `.venv` Python (skipped where absent). */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Budget, Throughput } from '../lib/timing.js';

export interface KerasModelRequest {
  key: string;
  path: string;
  /** Records to predict for the agreement check, written as raw float32. */
  check?: { data: Float32Array; dims: number[] };
}

export interface KerasModelResult {
  key: string;
  path: string;
  loader?: string;
  kerasVersionInFile?: string | null;
  loadMs?: number;
  error?: string;
  check?: { dims: number[]; data: number[] };
  /** recordsPerSec: steady-state (predict's fixed per-call cost taken out); see keras_baseline.py. */
  results?: (Throughput & {
    batch: number;
    recordsPerCall: number;
    wholeCallRecordsPerSec: number;
    callOverheadMs: number;
  })[];
}

export interface KerasReport {
  python: string;
  tensorflow: string;
  importMs: number;
  intraOpThreads: number | string;
  models: KerasModelResult[];
}

/** The Python to use, or null (with the reason) when there is none. */
export function findPython(
  repoRoot: string,
  override: string | null,
): { python: string | null; why?: string } {
  if (override)
    return existsSync(override) ? { python: override } : { python: null, why: `${override} absent` };
  const venv = join(repoRoot, '.venv', 'bin', 'python');
  return existsSync(venv) ? { python: venv } : { python: null, why: '.venv/bin/python absent' };
}

export async function runKerasBaseline(opts: {
  python: string;
  script: string;
  resultsDir: string;
  seed: number;
  batches: number[];
  budget: Budget;
  models: KerasModelRequest[];
  timeoutMs: number;
}): Promise<KerasReport> {
  const models = [];
  for (const m of opts.models) {
    let checkFile: string | undefined;
    if (m.check) {
      checkFile = join(opts.resultsDir, `keras-check-${m.key}.f32`);
      const { buffer, byteOffset, byteLength } = m.check.data;
      await writeFile(checkFile, new Uint8Array(buffer, byteOffset, byteLength));
    }
    models.push({ key: m.key, path: m.path, checkFile, checkDims: m.check?.dims });
  }
  const specPath = join(opts.resultsDir, 'keras-spec.json');
  const { warmupMs, repMs, reps } = opts.budget;
  await writeFile(
    specPath,
    JSON.stringify({ seed: opts.seed, batches: opts.batches, budget: { warmupMs, repMs, reps }, models }),
  );
  const stdout = await runProcess(opts.python, [opts.script, specPath], opts.timeoutMs);
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as KerasReport;
}

function runProcess(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${cmd} exited with ${signal ?? code}: ${err.trim().split('\n').slice(-5).join(' | ')}`),
        );
    });
  });
}
