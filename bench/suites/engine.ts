/**
 * Throughput suite: records/s of our engine (1 and 2 threads) on the CNN, MLP and LSTM at each batch size,
 * against TF.js-wasm and real Keras on the same weights, with the targets.
 */

import { join } from 'node:path';
import { createEngine } from '../../src/engine/index.js';
import type { Engine, Tensor } from '../../src/engine/types.js';
import { loadModel } from '../../src/keras/index.js';
import type { ModelDescription } from '../../src/keras/model.js';
import { findPython, type KerasReport, runKerasBaseline } from '../baselines/keras.js';
import { type TfjsRunner, type TfjsRuntime, tfjsRunner, tfjsWasm } from '../baselines/tfjs-wasm.js';
import { maxAbsDiff, randomInput, SEED } from '../lib/inputs.js';
import { resolveModels, shortPath } from '../lib/models.js';
import type { BenchContext, Suite, SuiteResult, TargetResult } from '../lib/suite.js';
import { DEFAULT_BUDGET, measureInterleaved, QUICK_BUDGET } from '../lib/timing.js';
import { engineTable, type Row, ratio } from './engine-report.js';

/** Largest difference from our engine a baseline may show and still count as the same network. */
export const AGREEMENT_TOLERANCE = 1e-4;
const CHECK_RECORDS = 8;

interface ModelRun {
  key: string;
  label: string;
  file: string;
  path: string;
  description: ModelDescription;
  /** Records both baselines predict to check they agree with us, and our outputs for them. */
  check: Tensor;
  reference: Tensor;
  rows: Row[];
  tfjs: { agreement: number | null; error?: string };
  keras: { agreement: number | null; loader?: string; error?: string };
}

const firstOut = async (engine: { predict(x: Tensor[]): Promise<Tensor[]> }, x: Tensor) =>
  (await engine.predict([x]))[0];

export const engineSuite: Suite = {
  name: 'engine',
  description: 'records/s: ours (1 and 2 threads) vs TF.js-wasm vs Keras model.predict',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const { options } = ctx;
    const budget = options.quick ? QUICK_BUDGET : DEFAULT_BUDGET;
    const { models, notes } = resolveModels(ctx);
    let tfjs: TfjsRuntime | null = null;
    if (options.noTfjs) notes.push('TF.js-wasm baseline skipped (--no-tfjs)');
    else {
      try {
        tfjs = await tfjsWasm();
        notes.push(
          `TF.js ${tfjs.version} wasm backend: simd=${tfjs.simd}, threads=${tfjs.threads} (Node: no wasm threads)`,
        );
      } catch (error) {
        notes.push(`TF.js-wasm baseline skipped: ${(error as Error).message}`);
      }
    }

    const runs: ModelRun[] = [];
    for (const m of models) {
      ctx.log(`engine: ${m.label} (${shortPath(ctx, m.path)})`);
      const description = await loadModel(m.path);
      if (description.inputs.length !== 1) {
        notes.push(`${m.label}: ${description.inputs.length} inputs; the throughput suite takes one`);
        continue;
      }
      const shape = description.inputs[0].shape;
      const engines: [string, Engine][] = [
        ['ours-1T', await createEngine(description, { threads: 1 })],
        ['ours-2T', await createEngine(description, { threads: 2 })],
      ];
      const check = randomInput(shape, CHECK_RECORDS);
      const run: ModelRun = {
        key: m.key,
        label: m.label,
        file: shortPath(ctx, m.path),
        path: m.path,
        description,
        check,
        reference: await firstOut(engines[1][1], check),
        rows: options.batches.map((batch) => ({ model: m.label, key: m.key, batch, rps: {}, reps: {} })),
        tfjs: { agreement: null },
        keras: { agreement: null },
      };
      runs.push(run);
      const runners: { name: string; predict: (x: Tensor[]) => Promise<Tensor[]> }[] = engines.map(
        ([name, engine]) => ({ name, predict: (x: Tensor[]) => engine.predict(x) }),
      );
      let tfjsModel: TfjsRunner | null = null;
      if (tfjs) {
        try {
          tfjsModel = tfjsRunner(tfjs, description);
          const got = await firstOut(tfjsModel, check);
          run.tfjs.agreement = maxAbsDiff(got.data, run.reference.data);
          if (!(run.tfjs.agreement <= AGREEMENT_TOLERANCE)) {
            notes.push(
              `${m.label}: TF.js outputs differ from ours by ${run.tfjs.agreement.toExponential(2)} (> ${AGREEMENT_TOLERANCE}): MISMATCH — timed anyway`,
            );
          }
          runners.push({ name: 'tfjs-wasm', predict: tfjsModel.predict });
        } catch (error) {
          run.tfjs.error = (error as Error).message;
          notes.push(`${m.label}: TF.js baseline not run: ${run.tfjs.error}`);
        }
      }
      for (const row of run.rows) {
        const x = [randomInput(shape, row.batch)];
        ctx.log(`engine: ${m.label} batch ${row.batch}: ${runners.map((r) => r.name).join(', ')}`);
        const measured = await measureInterleaved(
          runners.map((r) => ({ name: r.name, call: () => r.predict(x) })),
          row.batch,
          budget,
        );
        for (const [name, t] of Object.entries(measured)) {
          row.rps[name] = t.recordsPerSec;
          row.reps[name] = t.reps;
        }
      }
      for (const [, engine] of engines) await engine.dispose();
      tfjsModel?.dispose();
    }

    const keras = await kerasBaseline(ctx, runs, notes, budget);
    const rows = runs.flatMap((r) => r.rows);
    const targets = engineTargets(rows, runs);
    return {
      lines: [...engineTable(rows), '', ...agreementLines(runs)],
      data: {
        budget,
        seed: SEED,
        agreementTolerance: AGREEMENT_TOLERANCE,
        models: runs.map(({ description, check, reference, path, ...r }) => ({
          ...r,
          format: description.format,
          kerasVersion: description.kerasVersion,
          inputShape: description.inputs[0].shape,
        })),
        keras: keras && { ...keras, models: keras.models.map(({ check, ...k }) => k) },
      },
      targets,
      notes,
    };
  },
};

async function kerasBaseline(
  ctx: BenchContext,
  runs: ModelRun[],
  notes: string[],
  budget: typeof DEFAULT_BUDGET,
): Promise<KerasReport | null> {
  if (ctx.options.noKeras) {
    notes.push('Keras baseline skipped (--no-keras)');
    return null;
  }
  const { python, why } = findPython(ctx.repoRoot, ctx.options.python);
  if (!python) {
    notes.push(`Keras baseline skipped: ${why} (create the venv with tensorflow-cpu, tf-keras and keras)`);
    return null;
  }
  if (runs.length === 0) return null;
  ctx.log(`engine: Keras baseline (${python})`);
  let report: KerasReport;
  try {
    report = await runKerasBaseline({
      python,
      script: join(ctx.repoRoot, 'bench', 'keras_baseline.py'),
      resultsDir: ctx.resultsDir,
      seed: SEED,
      batches: ctx.options.batches,
      // --quick: no warm-up beyond the call that traces predict.
      budget: ctx.options.quick ? { ...budget, warmupMs: 0 } : budget,
      models: runs.map((r) => ({ key: r.key, path: r.path, check: r.check })),
      timeoutMs: ctx.options.quick ? 50_000 : 150_000,
    });
  } catch (error) {
    notes.push(`Keras baseline failed: ${(error as Error).message}`);
    return null;
  }
  notes.push(
    `Keras baseline: Python ${report.python}, TensorFlow ${report.tensorflow}, intra-op threads ${report.intraOpThreads}; ` +
      'records/s of model.predict over a ~1 s data set with its fixed per-call cost taken out (favors Keras; whole-call rates in --json)',
  );
  for (const k of report.models) {
    const run = runs.find((r) => r.key === k.key);
    if (!run) continue;
    run.keras.loader = k.loader;
    if (k.error) {
      run.keras.error = k.error;
      notes.push(`${run.label}: Keras baseline failed: ${k.error}`);
      continue;
    }
    if (k.check) {
      run.keras.agreement = maxAbsDiff(k.check.data, run.reference.data);
      if (!(run.keras.agreement <= AGREEMENT_TOLERANCE)) {
        notes.push(
          `${run.label}: Keras (${k.loader}) outputs differ from ours by ${run.keras.agreement.toExponential(2)}: MISMATCH`,
        );
      }
    }
    for (const res of k.results ?? []) {
      const row = run.rows.find((r) => r.batch === res.batch);
      if (row) {
        row.rps.keras = res.recordsPerSec;
        row.reps.keras = res.reps;
      }
    }
  }
  return report;
}

function engineTargets(rows: Row[], runs: ModelRun[]): TargetResult[] {
  const cnn = rows.find((r) => r.key === 'cnn' && r.batch === 256);
  const missing = (what: string): TargetResult => ({
    name: what,
    measured: '-',
    pass: null,
    note: cnn ? 'baseline not measured' : 'CNN at batch 256 not measured',
  });
  const targets: TargetResult[] = [];
  const vs = (base: string, min: number, label: string) => {
    const name = `CNN @ batch 256: ours-2T >= ${min}x ${label}`;
    const r = cnn ? ratio(cnn.rps['ours-2T'], cnn.rps[base]) : null;
    if (r === null) return targets.push(missing(name));
    const run = runs.find((x) => x.key === 'cnn');
    const agreement = base === 'keras' ? run?.keras.agreement : run?.tfjs.agreement;
    const notes: string[] = [];
    if (agreement !== null && agreement !== undefined && !(agreement <= AGREEMENT_TOLERANCE))
      notes.push('outputs disagree');
    const oneThread = cnn ? ratio(cnn.rps['ours-1T'], cnn.rps[base]) : null;
    if (oneThread !== null && oneThread > 1.1 * r)
      notes.push(`ours-1T: ${oneThread.toFixed(2)}x (2T < 1T: shared cores?)`);
    targets.push({ name, measured: `${r.toFixed(2)}x`, pass: r >= min, note: notes.join('; ') || undefined });
  };
  vs('tfjs-wasm', 5, 'TF.js-wasm');
  vs('keras', 1, 'Keras/TensorFlow');
  const name = 'CNN @ batch 256: ours-2T >= 10,000 records/s';
  const rps = cnn?.rps['ours-2T'];
  if (rps === undefined) targets.push(missing(name));
  else
    targets.push({ name, measured: `${Math.round(rps).toLocaleString('en-US')} rec/s`, pass: rps >= 10_000 });
  return targets;
}

function agreementLines(runs: ModelRun[]): string[] {
  const fmt = (a: { agreement: number | null; error?: string }) =>
    a.agreement === null ? (a.error ? 'failed' : '-') : a.agreement.toExponential(1);
  return [
    `agreement with ours (max |diff| over ${CHECK_RECORDS} records, tolerance ${AGREEMENT_TOLERANCE}): ` +
      runs.map((r) => `${r.label} tfjs ${fmt(r.tfjs)}, keras ${fmt(r.keras)}`).join('; '),
  ];
}
