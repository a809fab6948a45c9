/**
 * Applications suite: records/s at batch 32 on whole keras.applications networks (random weights, small inputs)
 * and a small transformer, ours (1 and 2 threads) against Keras 3 `model.predict` on TensorFlow (its default
 * threads, and pinned to 2 intra-op threads), with the targets: ours-2T >= 1.5x Keras on every model,
 * and 2 threads >= 1.6x one thread.
 *
 * The models are built once per run into a temporary directory (`fixtures/make_applications.py --size`,
 * `bench/applications_baseline.py --build-transformer`), never committed. Keras runs in long-lived Python
 * processes (bench/applications_baseline.py) so its repetitions interleave with ours, rep by rep: a change of
 * load on a shared machine hits every runner alike and the ratios of one run stay meaningful.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createEngine } from '../../src/engine/index.js';
import type { Engine, Tensor } from '../../src/engine/types.js';
import { loadModel } from '../../src/keras/index.js';
import { findPython } from '../baselines/keras.js';
import { randomInput, SEED } from '../lib/inputs.js';
import type { BenchContext, Suite, SuiteResult, TargetResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';
import { type Budget, median, settle } from '../lib/timing.js';
import { formatRps, ratio } from './engine-report.js';

const BATCH = 32;
/** Largest difference from ours Keras may show (relative to max |output| when that exceeds 1). */
const AGREEMENT_TOLERANCE = 1e-4;
const CHECK_RECORDS = 4;
const BUDGET: Budget = { warmupMs: 300, repMs: 700, reps: 3, minCalls: 2 };
const QUICK: Budget = { warmupMs: 0, repMs: 200, reps: 1, minCalls: 1 };
const MIN_VS_KERAS = 1.5;
const MIN_THREAD_SCALING = 1.6;

interface AppModel {
  key: string;
  label: string;
  /** make_applications.py name, or null for the transformer. */
  app: string | null;
  side: number;
  /** Inputs are uniform [0, high): raw pixels for models that preprocess themselves. */
  high: number;
}

const MODELS: AppModel[] = [
  { key: 'resnet50', label: 'ResNet50 64²', app: 'ResNet50', side: 64, high: 1 },
  { key: 'mobilenetv2', label: 'MobileNetV2 a0.35 96²', app: 'MobileNetV2', side: 96, high: 1 },
  { key: 'densenet121', label: 'DenseNet121 64²', app: 'DenseNet121', side: 64, high: 1 },
  { key: 'efficientnetb0', label: 'EfficientNetB0 64²', app: 'EfficientNetB0', side: 64, high: 255 },
  { key: 'mobilenetv3small', label: 'MobileNetV3Small 96²', app: 'MobileNetV3Small', side: 96, high: 255 },
  { key: 'convnexttiny', label: 'ConvNeXtTiny 64²', app: 'ConvNeXtTiny', side: 64, high: 255 },
  { key: 'transformer', label: 'transformer (32, 64)', app: null, side: 0, high: 1 },
];
/** --quick: these only. */
const QUICK_MODELS = new Set(['mobilenetv2', 'densenet121', 'transformer']);

const RUNNERS = ['ours-1T', 'ours-2T', 'keras', 'keras-2T'] as const;

interface Result {
  key: string;
  label: string;
  file?: string;
  rps: Record<string, number>;
  reps: Record<string, number[]>;
  /** Median CPU ms per record of each runner (all threads of its process). */
  cpuMsPerRecord: Record<string, number>;
  cpuReps: Record<string, number[]>;
  agreement: Record<string, number | null>;
  error?: string;
}

/** A `bench/applications_baseline.py` process answering one JSON line per request. */
class KerasServer {
  private child: ChildProcessWithoutNullStreams;
  private pending: ((line: string) => void)[] = [];
  /** Lines that arrived before anyone asked (the hello of a server not awaited yet). */
  private lines: string[] = [];
  private stderr = '';
  private closed = false;
  hello: Record<string, unknown> = {};

  constructor(python: string, script: string, threads: number) {
    this.child = spawn(python, [script, ...(threads ? ['--threads', String(threads)] : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const waiting = this.pending.shift();
      if (waiting) waiting(line);
      else this.lines.push(line);
    });
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.child.on('close', () => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p('');
    });
  }

  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    const early = this.lines.shift();
    if (early !== undefined) return Promise.resolve(JSON.parse(early) as Record<string, unknown>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Keras baseline: no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.pending.push((line) => {
        clearTimeout(timer);
        if (!line) {
          const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
          reject(new Error(`Keras baseline exited: ${tail}`));
          return;
        }
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
  }

  async ready(): Promise<void> {
    this.hello = await this.next(120_000);
  }

  async request(req: Record<string, unknown>, timeoutMs = 180_000): Promise<Record<string, unknown>> {
    if (this.closed) throw new Error('Keras baseline not running');
    const answer = this.next(timeoutMs);
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const res = await answer;
    await settle(this.child.pid);
    if (!res.ok) throw new Error(String(res.error));
    return res;
  }

  close(): void {
    this.child.stdin.end();
    setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(new Error(`${cmd} ${args[0]} exited with ${signal ?? code}: ${err.trim().split('\n').pop()}`));
    });
  });
}

/** Builds the models into `dir`: one make_applications.py call per input side, then the transformer. */
async function buildModels(ctx: BenchContext, python: string, dir: string, models: AppModel[]) {
  const paths = new Map<string, string>();
  const sides = [...new Set(models.filter((m) => m.app).map((m) => m.side))];
  for (const side of sides) {
    const apps = models.filter((m) => m.app && m.side === side);
    const out = join(dir, String(side));
    ctx.log(`applications: building ${apps.map((m) => m.app).join(', ')} at ${side}x${side}`);
    const names = apps.map((m) => m.app).join(',');
    const script = join(ctx.repoRoot, 'fixtures', 'make_applications.py');
    await run(python, [script, out, '--only', names, '--size', String(side), '--frameworks', 'k3'], 600_000);
    for (const m of apps) paths.set(m.key, join(out, `${m.app}.keras`));
  }
  if (models.some((m) => !m.app)) {
    const path = join(dir, 'transformer.keras');
    ctx.log('applications: building the transformer');
    const script = join(ctx.repoRoot, 'bench', 'applications_baseline.py');
    await run(python, [script, '--build-transformer', path, '--seed', String(SEED)], 300_000);
    paths.set('transformer', path);
  }
  return paths;
}

/** max |a - b| / max(1, max |b|). */
function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

interface Rep {
  recordsPerSec: number;
  /** CPU time of the process (every thread) per record: the load of a shared machine distorts it far less. */
  cpuMsPerRecord: number;
}

async function oursRep(engine: Engine, x: Tensor, budget: Budget): Promise<Rep> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  let elapsed = 0;
  while (n < budget.minCalls || elapsed < budget.repMs) {
    await engine.predict([x]);
    n++;
    elapsed = performance.now() - start;
  }
  const used = process.cpuUsage(cpu);
  return {
    recordsPerSec: (n * BATCH * 1000) / elapsed,
    cpuMsPerRecord: (used.user + used.system) / 1000 / (n * BATCH),
  };
}

function scaled(t: Tensor, high: number): Tensor {
  return high === 1 ? t : { data: t.data.map((v) => v * high), dims: t.dims };
}

export const applicationsSuite: Suite = {
  name: 'applications',
  description: `records/s at batch ${BATCH} on keras.applications models and a transformer: ours (1, 2 threads) vs Keras predict`,
  // Several minutes (building the models included): run with `--suite applications`.
  defaultRun: false,
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const { options } = ctx;
    const budget = options.quick ? QUICK : BUDGET;
    const notes: string[] = [];
    const { python, why } = findPython(ctx.repoRoot, options.python);
    if (!python) {
      notes.push(`applications suite skipped: ${why} (the models are built with Keras)`);
      return { lines: [], data: null, targets: [], notes };
    }
    const models = MODELS.filter((m) => !options.quick || QUICK_MODELS.has(m.key));
    const dir = mkdtempSync(join(os.tmpdir(), 'kb-bench-apps-'));
    const servers: [string, KerasServer][] = [];
    const results: Result[] = [];
    try {
      const paths = await buildModels(ctx, python, dir, models);
      if (!options.noKeras) {
        const script = join(ctx.repoRoot, 'bench', 'applications_baseline.py');
        servers.push(['keras', new KerasServer(python, script, 0)]);
        // Pinned to 2 intra-op threads and 1 inter-op thread (on 2 cores close to TensorFlow's default).
        if (!options.quick) servers.push(['keras-2T', new KerasServer(python, script, 2)]);
        else notes.push('keras-2T (TensorFlow pinned to 2 intra-op threads) not run with --quick');
        for (const [, s] of servers) await s.ready();
        const h = servers[0][1].hello;
        notes.push(
          `Keras ${h.keras} on TensorFlow ${h.tensorflow} (Python ${h.python}), intra-op threads ${h.intraOpThreads}, ` +
            `inter-op ${h.interOpThreads}; records/s of model.predict(x, batch_size=${BATCH}) over a data set of ~${budget.repMs} ms ` +
            '(at least 8 batches), its steady rate: from the end of the first batch to the end of the last, read by a ' +
            'callback (the fixed per-call cost left out); whole-call rates in --json',
        );
      } else notes.push('Keras baseline skipped (--no-keras)');
      for (const m of models) {
        const result: Result = {
          key: m.key,
          label: m.label,
          rps: {},
          reps: {},
          cpuMsPerRecord: {},
          cpuReps: {},
          agreement: {},
        };
        results.push(result);
        const path = paths.get(m.key);
        if (!path) continue;
        result.file = path;
        const engines: [string, Engine][] = [];
        try {
          ctx.log(`applications: ${m.label}`);
          const description = await loadModel(path);
          const shape = description.inputs[0].shape;
          engines.push(['ours-1T', await createEngine(description, { threads: 1 })]);
          engines.push(['ours-2T', await createEngine(description, { threads: 2 })]);
          const check = scaled(randomInput(shape, CHECK_RECORDS, SEED + 1), m.high);
          const reference = (await engines[1][1].predict([check]))[0];
          const checkFile = join(dir, `check-${m.key}.f32`);
          await writeFile(
            checkFile,
            new Uint8Array(check.data.buffer, check.data.byteOffset, check.data.byteLength),
          );
          const live: [string, KerasServer][] = [];
          for (const [name, server] of servers) {
            try {
              const res = await server.request({
                op: 'load',
                key: m.key,
                path,
                batch: BATCH,
                seed: SEED,
                warmupMs: budget.warmupMs,
                repMs: budget.repMs,
                checkFile,
                checkDims: check.dims,
                high: m.high,
              });
              const got = res.check as { data: number[] };
              const a = agreement(got.data, reference.data);
              result.agreement[name] = a;
              if (!(a <= AGREEMENT_TOLERANCE))
                notes.push(
                  `${m.label}: ${name} outputs differ from ours by ${a.toExponential(2)}: MISMATCH — timed anyway`,
                );
              live.push([name, server]);
            } catch (error) {
              notes.push(`${m.label}: ${name} not run: ${(error as Error).message}`);
            }
          }
          const x = scaled(randomInput(shape, BATCH), m.high);
          for (const [, engine] of engines) {
            const end = performance.now() + budget.warmupMs;
            do await engine.predict([x]);
            while (performance.now() < end);
          }
          const runners: [string, () => Promise<Rep>][] = [
            ...engines.map(([name, engine]): [string, () => Promise<Rep>] => [
              name,
              () => oursRep(engine, x, budget),
            ]),
            ...live.map(([name, server]): [string, () => Promise<Rep>] => [
              name,
              async () => {
                const res = await server.request({ op: 'rep', key: m.key });
                return {
                  recordsPerSec: res.recordsPerSec as number,
                  cpuMsPerRecord: res.cpuMsPerRecord as number,
                };
              },
            ]),
          ];
          for (let rep = 0; rep < budget.reps; rep++) {
            for (const [name, timeRep] of runners) {
              const r = await timeRep();
              result.reps[name] = [...(result.reps[name] ?? []), r.recordsPerSec];
              result.cpuReps[name] = [...(result.cpuReps[name] ?? []), r.cpuMsPerRecord];
            }
          }
          for (const [name, reps] of Object.entries(result.reps)) result.rps[name] = median(reps);
          for (const [name, reps] of Object.entries(result.cpuReps))
            result.cpuMsPerRecord[name] = median(reps);
          for (const [, server] of live) await server.request({ op: 'drop', key: m.key });
        } catch (error) {
          result.error = (error as Error).message;
          notes.push(`${m.label}: not measured: ${result.error}`);
        } finally {
          for (const [, engine] of engines) await engine.dispose();
        }
      }
    } catch (error) {
      notes.push(`applications suite failed: ${(error as Error).message}`);
    } finally {
      for (const [, s] of servers) s.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return {
      lines: [...table(results), '', ...cpuTable(results), '', agreementLine(results)],
      data: { batch: BATCH, budget, seed: SEED, agreementTolerance: AGREEMENT_TOLERANCE, models: results },
      targets: targets(results),
      notes,
    };
  },
};

const fmtRatio = (r: number | null) => (r === null ? '-' : `${r.toFixed(2)}x`);

/** ours-2T against the best Keras configuration measured (default threads or pinned to 2). */
function bestKeras(r: Result): number | undefined {
  const k = [r.rps.keras, r.rps['keras-2T']].filter((v): v is number => v !== undefined);
  return k.length ? Math.max(...k) : undefined;
}

function table(results: Result[]): string[] {
  const header = [`model @ batch ${BATCH}`, ...RUNNERS.map((r) => `${r} rec/s`), '2T/keras', '2T/1T'];
  const body = results.map((r) => [
    r.label,
    ...RUNNERS.map((name) => formatRps(r.rps[name])),
    fmtRatio(ratio(r.rps['ours-2T'], bestKeras(r))),
    fmtRatio(ratio(r.rps['ours-2T'], r.rps['ours-1T'])),
  ]);
  return formatTable(header, body, [false, true, true, true, true, true, true]);
}

/**
 * CPU ms per record of each runner (every thread of its process; Keras' whole predict call, fixed cost included).
 * On a loaded machine wall-time rates swing with the other processes; CPU time much less: `keras/1T` compares the
 * work per record, `2T-1T` is what the second thread adds in synchronisation (0 when it only shares the work).
 */
function cpuTable(results: Result[]): string[] {
  const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));
  const header = ['CPU ms/record', ...RUNNERS, 'keras/1T', '2T-1T'];
  const body = results.map((r) => {
    const c = r.cpuMsPerRecord;
    const keras = c.keras ?? c['keras-2T'];
    const extra =
      c['ours-2T'] !== undefined && c['ours-1T'] !== undefined ? c['ours-2T'] - c['ours-1T'] : undefined;
    return [
      r.label,
      ...RUNNERS.map((name) => fmt(c[name])),
      fmtRatio(ratio(keras, c['ours-1T'])),
      fmt(extra),
    ];
  });
  return formatTable(header, body, [false, true, true, true, true, true, true]);
}

function agreementLine(results: Result[]): string {
  const fmt = (a: number | null | undefined) => (a === null || a === undefined ? '-' : a.toExponential(1));
  return (
    `agreement with ours (max |diff| / max(1, max |ours|) over ${CHECK_RECORDS} records, tolerance ${AGREEMENT_TOLERANCE}): ` +
    results.map((r) => `${r.label} ${fmt(r.agreement.keras)}`).join('; ')
  );
}

function targets(results: Result[]): TargetResult[] {
  const out: TargetResult[] = [];
  for (const r of results) {
    const vsKeras = ratio(r.rps['ours-2T'], bestKeras(r));
    const disagree = Object.values(r.agreement).some((a) => a !== null && !(a <= AGREEMENT_TOLERANCE));
    out.push({
      name: `${r.label} @ batch ${BATCH}: ours-2T >= ${MIN_VS_KERAS}x Keras/TensorFlow`,
      measured: fmtRatio(vsKeras),
      pass: vsKeras === null ? null : vsKeras >= MIN_VS_KERAS,
      note: vsKeras === null ? (r.error ?? 'Keras not measured') : disagree ? 'outputs disagree' : undefined,
    });
  }
  for (const r of results) {
    const scaling = ratio(r.rps['ours-2T'], r.rps['ours-1T']);
    out.push({
      name: `${r.label} @ batch ${BATCH}: ours-2T >= ${MIN_THREAD_SCALING}x ours-1T`,
      measured: fmtRatio(scaling),
      pass: scaling === null ? null : scaling >= MIN_THREAD_SCALING,
      note: scaling === null ? (r.error ?? 'not measured') : undefined,
    });
  }
  return out;
}
