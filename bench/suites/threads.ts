/**
 * Threads suite (diagnostic): how onnxruntime's intra-op threads wait for work decides what a second thread
 * gives. This times, on the same compiled graph at the largest batch and interleaved: 1 thread; 2 threads as the
 * engine sets them (spinning at most 1 ms, and only while a run lasts: `spinning()` of
 * src/engine/session-options.ts); 2 threads spinning as onnxruntime does by default; 2 threads that never spin;
 * and the engine splitting each batch over two 1-thread sessions (src/engine/split-batch/), as it does for models
 * up to 256 MiB.
 */

import { compileToOnnx, createEngine } from '../../src/engine/index.js';
import ort from '../../src/engine/ort.js';
import { spinning } from '../../src/engine/session-options.js';
import { loadModel } from '../../src/keras/index.js';
import { randomInput } from '../lib/inputs.js';
import { resolveModels } from '../lib/models.js';
import type { BenchContext, Suite, SuiteResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';
import { DEFAULT_BUDGET, measureInterleaved, QUICK_BUDGET } from '../lib/timing.js';
import { formatRps } from './engine-report.js';

const VARIANTS = [
  { name: '1T', threads: 1, session: spinning(true) },
  { name: '2T engine', threads: 2, session: spinning(true) },
  { name: '2T ort-default', threads: 2, session: { intra_op: { allow_spinning: '1' } } },
  { name: '2T no-spin', threads: 2, session: spinning(false) },
];

/** The engine on 2 threads splitting each batch over two 1-thread sessions, whatever the model's size. */
const SPLIT = '2T split';

export const threadsSuite: Suite = {
  name: 'threads',
  description:
    'diagnostic: onnxruntime 1 vs 2 threads: spinning as the engine sets it, as onnxruntime does by default, off; split batches',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const resolved = resolveModels(ctx);
    const notes = resolved.notes;
    // --quick: the CNN only.
    const models = ctx.options.quick ? resolved.models.filter((m) => m.key === 'cnn') : resolved.models;
    const budget = ctx.options.quick ? QUICK_BUDGET : DEFAULT_BUDGET;
    const batch = Math.max(...ctx.options.batches);
    const rows: string[][] = [];
    const data: Record<string, Record<string, number>> = {};
    for (const m of models) {
      ctx.log(`threads: ${m.label} batch ${batch}`);
      const description = await loadModel(m.path);
      const bytes = compileToOnnx(description).bytes;
      const x = randomInput(description.inputs[0].shape, batch);
      const sessions = await Promise.all(
        VARIANTS.map((v) =>
          // The engine's session options (src/engine/onnx-backend.ts), threads and spinning varied.
          ort.InferenceSession.create(bytes, {
            executionProviders: ['cpu'],
            graphOptimizationLevel: 'all',
            intraOpNumThreads: v.threads,
            interOpNumThreads: 1,
            executionMode: 'sequential',
            extra: { session: v.session },
          }),
        ),
      );
      const before = process.env.KERAS_BATCH_SPLIT;
      process.env.KERAS_BATCH_SPLIT = '1';
      const split = await createEngine(description, { threads: 2 });
      if (before === undefined) delete process.env.KERAS_BATCH_SPLIT;
      else process.env.KERAS_BATCH_SPLIT = before;
      const measured = await measureInterleaved(
        [
          ...sessions.map((s, i) => ({
            name: VARIANTS[i].name,
            call: () => s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) }),
          })),
          { name: SPLIT, call: () => split.predict([x]) },
        ],
        batch,
        budget,
      );
      for (const s of sessions) await s.release();
      await split.dispose();
      data[m.key] = Object.fromEntries(Object.entries(measured).map(([k, t]) => [k, t.recordsPerSec]));
      rows.push([
        m.label,
        String(batch),
        ...[...VARIANTS.map((v) => v.name), SPLIT].map((name) => formatRps(measured[name].recordsPerSec)),
      ]);
    }
    const names = [...VARIANTS.map((v) => v.name), SPLIT];
    const lines = formatTable(['model', 'batch', ...names.map((name) => `${name} rec/s`)], rows, [
      false,
      true,
      ...names.map(() => true),
    ]);
    return { lines, data: { batch, recordsPerSec: data }, targets: [], notes };
  },
};
