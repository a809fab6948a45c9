import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { GoldenTensor } from './compare.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** The project's virtualenv Python with real Keras (made by `npm run fixtures` or `.ci/run`), or null. */
export function kerasPython(): string | null {
  const python = join(root, '.venv', 'bin', 'python');
  return existsSync(python) ? python : null;
}

export interface OracleResult {
  ok: boolean;
  keras?: string;
  outputs?: GoldenTensor[];
  error?: string;
}

/** Runs real Keras `model.predict` on the given inputs through test/oracle/keras_oracle.py. */
export async function kerasPredict(
  python: string,
  model: string,
  inputs: GoldenTensor[],
  architecture?: string,
): Promise<OracleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'keras-oracle-'));
  try {
    const inPath = join(dir, 'inputs.json');
    const outPath = join(dir, 'out.json');
    writeFileSync(inPath, JSON.stringify(inputs));
    const args = [
      join(root, 'test', 'oracle', 'keras_oracle.py'),
      model,
      '--inputs',
      inPath,
      '--out',
      outPath,
    ];
    if (architecture) args.push('--architecture', architecture);
    try {
      await run(python, args, {
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
        maxBuffer: 64 << 20,
      });
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return {
        ok: false,
        error: `exit ${e.code}: ${(e.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`,
      };
    }
    const parsed = JSON.parse(readFileSync(outPath, 'utf8')) as { keras: string; outputs: GoldenTensor[] };
    return { ok: true, keras: parsed.keras, outputs: parsed.outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
