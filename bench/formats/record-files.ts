/** What the `formats` bench needs besides the CLI: the engine's own rate, generated inputs, the Python baseline. */

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openModel } from '../../src/engine/open-model.js';
import type { BenchContext } from '../lib/suite.js';

const run = promisify(execFile);

/**
 * Records/s of `predict` (2 threads) on one batch of 256 copies of `record` (one record's values, already
 * parsed), repeated for about `ms`: the ceiling a record file is compared with.
 */
export async function engineRate(model: string, record: Float32Array, ms: number): Promise<number> {
  const opened = await openModel(model, { threads: 2 });
  try {
    const spec = opened.engine.inputs[0];
    const dims = spec.shape.slice(1).map((d) => d ?? 1);
    const data = new Float32Array(256 * record.length);
    for (let i = 0; i < 256; i += 1) data.set(record, i * record.length);
    const tensors = [{ data, dims: [256, ...dims] }];
    await opened.engine.predict(tensors);
    let records = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      await opened.engine.predict(tensors);
      records += 256;
    }
    return (records * 1000) / (performance.now() - t0);
  } finally {
    await opened.engine.dispose();
  }
}

async function writeLines(path: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < count; i += 1) if (!out.write(line(i))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** One JSON Lines file of `count` records made of the seed files' texts (the first 1,000), one per line. */
export async function writeJsonl(from: string, path: string, count: number): Promise<void> {
  const lines = readdirSync(from)
    .slice(0, 1000)
    .map(
      (n) =>
        `${readFileSync(join(from, n), 'utf8')
          .replace(/\s*\n\s*/g, ' ')
          .trim()}\n`,
    );
  await writeLines(path, count, (i) => lines[i % lines.length]);
}

/** A CSV of `rows` rows: an `id` column and `columns` seeded normal-ish numbers with 6 decimals. */
export async function writeCsv(path: string, rows: number, columns: number): Promise<void> {
  let seed = 11;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const header = `id,${Array.from({ length: columns }, (_, i) => `f${i}`).join(',')}\n`;
  await writeLines(path, rows + 1, (i) => {
    if (i === 0) return header;
    let line = `r${i}`;
    for (let c = 0; c < columns; c += 1) line += `,${((next() + next() + next() - 1.5) * 2).toFixed(6)}`;
    return `${line}\n`;
  });
}

/** `.venv/bin/python` when it has Keras and pandas, else null with a note saying how to get them. */
export async function pythonWithPandas(ctx: BenchContext, notes: string[]): Promise<string | null> {
  const python = ctx.options.python ?? join(ctx.repoRoot, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    notes.push('Python baselines skipped: no .venv with Keras (npm run fixtures makes it)');
    return null;
  }
  try {
    await run(python, ['-c', 'import keras, pandas']);
    return python;
  } catch {
    notes.push('Python baselines skipped: pandas missing (.venv/bin/pip install -r bench/requirements.txt)');
    return null;
  }
}

export interface PythonRun {
  recordsPerSecond: number;
  records: number;
  peakMiB: number;
}

/** Runs `bench/formats_baseline.py` (pandas + Keras batched predict) on the first `limit` records. */
export async function pythonFormats(ctx: BenchContext, python: string, args: string[]): Promise<PythonRun> {
  const { stdout } = await run(python, [join(ctx.repoRoot, 'bench', 'formats_baseline.py'), ...args], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    maxBuffer: 1 << 24,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop() as string) as {
    records: number;
    seconds: number;
    peak_rss_mib: number;
  };
  return { recordsPerSecond: r.records / r.seconds, records: r.records, peakMiB: r.peak_rss_mib };
}

/** Builds the bench's small MLP (20 inputs → 64 → 32 → 3 softmax) with Keras. */
export async function buildMlp(ctx: BenchContext, python: string, path: string): Promise<void> {
  await pythonFormats(ctx, python, ['build-mlp', path]).catch((error) => {
    if (!existsSync(path)) throw error; // build-mlp prints no result line
  });
}
