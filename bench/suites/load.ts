/**
 * Load suite: model file to first prediction (read + loadModel + createEngine + one predict of one record),
 * for every model of the corpus (../shared/keras-models, MANIFEST.json) and fixtures/models/*.keras.
 * Target: under 1 s for every model. Models the loader refuses (Lambda, custom layers) are listed as refused.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createEngine } from '../../src/engine/index.js';
import { loadModel } from '../../src/keras/index.js';
import { concreteDims } from '../lib/inputs.js';
import { shortPath } from '../lib/models.js';
import type { BenchContext, Suite, SuiteResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';

export const LOAD_TARGET_MS = 1000;

interface LoadCase {
  file: string;
  architecture?: string;
  set: 'corpus' | 'fixtures';
}

interface LoadResult {
  file: string;
  set: string;
  /**
   * `ok`; `refused`: the loader declines the model by design (Lambda, custom layers); `unsupported`: the engine
   * lacks something the model uses (an engine gap, not a load-time problem); `error` otherwise.
   */
  status: 'ok' | 'refused' | 'unsupported' | 'error';
  ms: number;
  /** Split of `ms`: reading + loadModel, createEngine, first predict. */
  stages?: { loadMs: number; compileMs: number; predictMs: number };
  code?: string;
  message?: string;
}

const REFUSAL_CODES = new Set(['KERAS_LAMBDA_LAYER', 'KERAS_CUSTOM_LAYER']);

function failureStatus(code: string): LoadResult['status'] {
  if (REFUSAL_CODES.has(code)) return 'refused';
  return code.startsWith('ENGINE_UNSUPPORTED') ? 'unsupported' : 'error';
}

function corpusCases(ctx: BenchContext, notes: string[]): LoadCase[] {
  const cases: LoadCase[] = [];
  if (!ctx.sharedDir) notes.push('../shared absent: the corpus models are skipped');
  else {
    const dir = join(ctx.sharedDir, 'keras-models');
    const manifestPath = join(dir, 'MANIFEST.json');
    if (!existsSync(manifestPath))
      notes.push(`${shortPath(ctx, manifestPath)} absent: the corpus is skipped`);
    else {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        models: { file: string; weights_only?: boolean }[];
      };
      for (const m of manifest.models) {
        const file = join(dir, m.file);
        const companion = file.replace(/\.[^.]+$/, '.json');
        const architecture = m.weights_only && existsSync(companion) ? companion : undefined;
        cases.push({ file, architecture, set: 'corpus' });
      }
    }
  }
  const fixtures = join(ctx.repoRoot, 'fixtures', 'models');
  if (existsSync(fixtures)) {
    for (const name of readdirSync(fixtures).sort()) {
      if (name.endsWith('.keras')) cases.push({ file: join(fixtures, name), set: 'fixtures' });
    }
  } else notes.push('fixtures/models absent: the fixture models are skipped');
  return cases;
}

/** File to first prediction, as a user of the CLI would see it (threads: the engine's default). */
async function timeLoad(c: LoadCase): Promise<Omit<LoadResult, 'file' | 'set'>> {
  const start = performance.now();
  let stage = 'load';
  let loaded = start;
  let compiled = start;
  try {
    const bytes = new Uint8Array(await readFile(c.file));
    const architecture = c.architecture ? new Uint8Array(await readFile(c.architecture)) : undefined;
    const description = await loadModel(bytes, { architecture, name: basename(c.file) });
    loaded = performance.now();
    stage = 'compile';
    const engine = await createEngine(description);
    compiled = performance.now();
    stage = 'predict';
    const inputs = engine.inputs.map((input) => {
      const dims = concreteDims(input.shape, 1);
      return { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
    });
    await engine.predict(inputs);
    const end = performance.now();
    await engine.dispose();
    return {
      status: 'ok',
      ms: end - start,
      stages: { loadMs: loaded - start, compileMs: compiled - loaded, predictMs: end - compiled },
    };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERROR';
    return {
      status: failureStatus(code),
      ms: performance.now() - start,
      code,
      message: `${stage}: ${(error as Error).message}`.slice(0, 300),
    };
  }
}

export const loadSuite: Suite = {
  name: 'load',
  description: 'model file to first prediction (loadModel + createEngine + one predict), every corpus model',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const notes: string[] = [];
    const cases = corpusCases(ctx, notes);
    const results: LoadResult[] = [];
    let cold: (LoadResult & { note: string }) | null = null;
    for (const c of cases) {
      const file = shortPath(ctx, c.file);
      ctx.log(`load: ${file}`);
      const r = await timeLoad(c);
      // The first load of a process also initializes h5wasm and onnxruntime: it is reported apart, then
      // that model is timed again like every other.
      if (!cold) {
        cold = { file, set: c.set, ...r, note: 'first load in this process (includes runtime init)' };
        results.push({ file, set: c.set, ...(await timeLoad(c)) });
      } else results.push({ file, set: c.set, ...r });
    }
    const ok = results.filter((r) => r.status === 'ok');
    const slowest = ok.reduce<LoadResult | null>((a, b) => (a && a.ms >= b.ms ? a : b), null);
    const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(0));
    const lines = formatTable(
      ['model file', 'status', 'ms', 'load', 'compile', 'predict', 'note'],
      results.map((r) => [
        r.file,
        r.status,
        fmt(r.ms),
        fmt(r.stages?.loadMs),
        fmt(r.stages?.compileMs),
        fmt(r.stages?.predictMs),
        r.status === 'ok' ? '' : `${r.code}: ${r.message}`.slice(0, 90),
      ]),
      [false, false, true, true, true, true, false],
    );
    if (cold) {
      const st = cold.stages;
      const split = st
        ? `: load ${fmt(st.loadMs)}, compile ${fmt(st.compileMs)}, predict ${fmt(st.predictMs)}`
        : '';
      lines.push('', `cold: ${cold.file} ${fmt(cold.ms)} ms${split} (${cold.note})`);
    }
    const refused = results.filter((r) => r.status === 'refused').length;
    const unsupported = results.filter((r) => r.status === 'unsupported');
    if (unsupported.length) {
      notes.push(
        `engine gaps (not load-time failures): ${unsupported.map((r) => `${r.file} (${r.message})`).join('; ')}`,
      );
    }
    const errors = results.filter((r) => r.status === 'error');
    if (errors.length)
      notes.push(`${errors.length} model(s) failed to load for another reason than a refusal`);
    const over = ok.filter((r) => r.ms >= LOAD_TARGET_MS);
    return {
      lines,
      data: { targetMs: LOAD_TARGET_MS, cold, results },
      targets: [
        {
          name: `model load (file to first prediction) < ${LOAD_TARGET_MS} ms, every model (${ok.length} loaded, ${refused} refused, ${unsupported.length} unsupported)`,
          measured: slowest ? `max ${slowest.ms.toFixed(0)} ms (${basename(slowest.file)})` : '-',
          pass: slowest ? over.length === 0 && errors.length === 0 : null,
          note: [
            over.length ? `over: ${over.map((r) => r.file).join(', ')}` : '',
            errors.length ? `errors: ${errors.map((r) => r.file).join(', ')}` : '',
            cold && cold.ms >= LOAD_TARGET_MS ? `cold first load of the process ${fmt(cold.ms)} ms` : '',
          ]
            .filter(Boolean)
            .join('; '),
        },
      ],
      notes,
    };
  },
};
