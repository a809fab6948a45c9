/**
 * Graph suite (diagnostic): what onnxruntime runs for each benchmark model. Counts ONNX ops in the graph we
 * compile and in the graph onnxruntime keeps after its optimizers (the engine keeps Keras' NHWC layout and
 * wraps each Conv in Transposes, relying on the transpose optimizer to cancel them), and profiles a few runs
 * at the largest batch with 2 threads: time by op type, so a costly Transpose shows up with a number.
 */

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileToOnnx } from '../../src/engine/index.js';
import { onnx } from '../../src/engine/onnx/proto.js';
import ort from '../../src/engine/ort.js';
import { spinning } from '../../src/engine/session-options.js';
import { loadModel } from '../../src/keras/index.js';
import { randomInput } from '../lib/inputs.js';
import { resolveModels } from '../lib/models.js';
import type { BenchContext, Suite, SuiteResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';

interface GraphReport {
  key: string;
  label: string;
  batch: number;
  runs: number;
  compiledOps: Record<string, number>;
  optimizedOps: Record<string, number>;
  /** Microseconds per run by op type, from onnxruntime's profiler. */
  usPerRunByOp: Record<string, number>;
}

function countOps(bytes: Uint8Array): Record<string, number> {
  const model = onnx.ModelProto.decode(bytes);
  const counts: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) {
    const op = node.domain ? `${node.domain}.${node.opType}` : String(node.opType);
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}

/** Runs profiled but left out of the numbers. */
const WARM_RUNS = 3;

interface ProfileEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string };
}

async function profile(
  ctx: BenchContext,
  key: string,
  bytes: Uint8Array,
  shape: (number | null)[],
  batch: number,
  runs: number,
) {
  const prefix = `profile-${key}`;
  const optimized = join(ctx.resultsDir, `${key}.optimized.onnx`);
  for (const f of readdirSync(ctx.resultsDir)) if (f.startsWith(prefix)) rmSync(join(ctx.resultsDir, f));
  // The engine's session options (src/engine/onnx-backend.ts), plus the optimized graph and the profiler.
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: spinning(true) },
    optimizedModelFilePath: optimized,
    logSeverityLevel: 3, // not the warning that an optimized NCHWc graph is hardware specific
    enableProfiling: true,
    profileFilePrefix: join(ctx.resultsDir, prefix),
  });
  const x = randomInput(shape, batch);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) };
  for (let i = 0; i < WARM_RUNS + runs; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const file = readdirSync(ctx.resultsDir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  const byOp: Record<string, number> = {};
  if (file) {
    const events = JSON.parse(readFileSync(join(ctx.resultsDir, file), 'utf8')) as ProfileEvent[];
    // Runs after the warm-up ones only (the first runs allocate and tune).
    const starts = events
      .filter((e) => e.cat === 'Session' && e.name === 'model_run')
      .map((e) => e.ts ?? 0)
      .sort((a, b) => a - b);
    const from = starts[WARM_RUNS] ?? 0;
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
      if ((e.ts ?? 0) < from) continue;
      byOp[e.args.op_name] = (byOp[e.args.op_name] ?? 0) + (e.dur ?? 0) / runs;
    }
  }
  return { optimizedOps: countOps(new Uint8Array(readFileSync(optimized))), usPerRunByOp: byOp };
}

const fmtOps = (ops: Record<string, number>) =>
  Object.entries(ops)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op.replace('com.microsoft.', 'ms.')}×${n}`)
    .join(' ');

export const graphSuite: Suite = {
  name: 'graph',
  description: 'diagnostic: ONNX ops before/after onnxruntime optimization, profile by op type (2 threads)',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const { models, notes } = resolveModels(ctx);
    const batch = Math.max(...ctx.options.batches);
    const runs = ctx.options.quick ? 5 : 20;
    const reports: GraphReport[] = [];
    const lines: string[] = [];
    for (const m of models) {
      ctx.log(`graph: ${m.label}`);
      const description = await loadModel(m.path);
      const compiled = compileToOnnx(description);
      const p = await profile(ctx, m.key, compiled.bytes, description.inputs[0].shape, batch, runs);
      const report = { key: m.key, label: m.label, batch, runs, compiledOps: countOps(compiled.bytes), ...p };
      reports.push(report);
      const total = Object.values(p.usPerRunByOp).reduce((a, b) => a + b, 0);
      lines.push(`${m.label}: compiled  ${fmtOps(report.compiledOps)}`);
      lines.push(`${' '.repeat(m.label.length)}  optimized ${fmtOps(report.optimizedOps)}`);
      const rows = Object.entries(p.usPerRunByOp)
        .sort((a, b) => b[1] - a[1])
        .map(([op, us]) => [op, (us / 1000).toFixed(3), `${((100 * us) / total).toFixed(1)}%`]);
      lines.push(
        ...formatTable([`op @ batch ${batch}, 2T`, 'ms/run', 'share'], rows, [false, true, true]).map(
          (l) => `  ${l}`,
        ),
        '',
      );
    }
    return { lines, data: reports, targets: [], notes };
  },
};
