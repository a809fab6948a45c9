import type ort from './ort.js';

/**
 * How onnxruntime's intra-op threads wait for work (its `session.*` config entries). Waking a sleeping thread
 * costs about as long as a small op on a virtual machine, so with spinning off the second thread gave a
 * transformer or a MobileNet at batch 32 little; unbounded, idle threads spun on between batches and took
 * the cores that read, parse and write files. So an idle thread spins for at most 1 ms, and only while a
 * run lasts: it stops when the run ends. `KERAS_BATCH_ORT_SPIN=0` turns spinning off.
 */
export function spinning(on: boolean): Record<string, unknown> {
  if (!on) return { intra_op: { allow_spinning: '0' } };
  return {
    intra_op: { allow_spinning: '1', spin_duration_us: '1000', spin_backoff_max: '8' },
    force_spinning_stop: '1',
  };
}

/** The options of every session the engine creates, with `threads` intra-op threads. */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // onnxruntime's arena keeps the intermediates of one batch shape for the next run; without it every run
    // mallocs and frees tens of MiB, which glibc's heap fragments into hundreds of MiB of resident memory.
    enableCpuMemArena: process.env.KERAS_BATCH_ORT_ARENA !== '0',
    extra: {
      session: spinning(process.env.KERAS_BATCH_ORT_SPIN !== '0'),
      // onnxruntime's Pad fusion folds a zero Pad into the MaxPool after it, whose pads count as -inf: a
      // ZeroPadding2D before MaxPooling2D (ResNet50V2's stem) then pools without the zeros Keras pools over.
      optimization: { disable_specified_optimizers: 'Pad_Fusion' },
    },
  };
}
