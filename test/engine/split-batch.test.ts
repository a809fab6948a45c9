import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type InputTensor, type Tensor } from '../../src/engine/index.js';
import { batchSplitting, SPLIT_MAX_MODEL_BYTES } from '../../src/engine/onnx-backend.js';
import { batchSplitters } from '../../src/engine/split-batch/index.js';
import { loadModel } from '../../src/keras/index.js';
import { relativeError } from '../helpers/compare.js';

const fixtures = fileURLToPath(new URL('../../fixtures', import.meta.url));
const MNIST = fileURLToPath(new URL('../../examples/models/mnist-cnn.keras', import.meta.url));

/** A golden's records repeated (and cycled) to `batch` records: odd sizes split unevenly. */
function goldenInputs(name: string, batch: number): InputTensor[] {
  const golden = JSON.parse(readFileSync(join(fixtures, 'goldens', `${name}.json`), 'utf8')) as {
    inputs: ({ dims: number[]; data: number[] } | { dims: number[]; strings: string[] })[];
  };
  return golden.inputs.map((t) => {
    const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
    const records = t.dims[0];
    const dims = [batch, ...t.dims.slice(1)];
    const pick = (i: number) => (Math.floor(i / per) % records) * per + (i % per);
    if ('strings' in t)
      return { strings: Array.from({ length: batch * per }, (_, i) => t.strings[pick(i)]), dims };
    return {
      data: Float32Array.from({ length: batch * per }, (_, i) => t.data[pick(i)] + (i % 7) * 0.01),
      dims,
    };
  });
}

function expectSame(actual: Tensor[], expected: Tensor[], label: string) {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((t, i) => {
    expect(t.dims, `${label} output ${i}`).toEqual(expected[i].dims);
    expect(relativeError(t.data, expected[i].data), `${label} output ${i}`).toBeLessThanOrEqual(1e-6);
  });
}

/** `batch` MNIST-shaped records, deterministic by `seed`. */
const records = (batch: number, seed: number) => ({
  data: Float32Array.from({ length: batch * 784 }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000),
  dims: [batch, 28, 28, 1],
});

/** Holds this thread for `ms` milliseconds. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

/** Runs `fn` with `KERAS_BATCH_SPLIT` set as given (undefined: unset), then puts it back. */
async function withSplit<T>(split: string | undefined, fn: () => Promise<T> | T): Promise<T> {
  const before = process.env.KERAS_BATCH_SPLIT;
  if (split === undefined) delete process.env.KERAS_BATCH_SPLIT;
  else process.env.KERAS_BATCH_SPLIT = split;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.KERAS_BATCH_SPLIT;
    else process.env.KERAS_BATCH_SPLIT = before;
  }
}

/** Creates an engine with `KERAS_BATCH_SPLIT` set as given (the engine reads it when created). */
async function engineWith(path: string, threads: number, split: string | undefined): Promise<Engine> {
  return withSplit(split, async () => createEngine(await loadModel(path), { threads }));
}

/** A 1-thread engine and a 2-thread one splitting every batch of two records or more. */
async function pair(path: string): Promise<[Engine, Engine]> {
  return [await engineWith(path, 1, undefined), await engineWith(path, 2, '1')];
}

describe('a batch split over two sessions (2 threads, a small model) scores as one session does', () => {
  // Multiple inputs and outputs, string inputs, masks, recurrent loops, open dims, attention.
  for (const name of [
    'multi_io',
    'text_classifier',
    'embedding_mask_lstm',
    'lstm',
    'op_open_dims',
    'mha_self',
    'transformer_block',
    'conv2d',
  ]) {
    it(name, async () => {
      const [one, two] = await pair(join(fixtures, 'models', `${name}.keras`));
      try {
        const before = batchSplitters();
        for (const batch of [2, 5, 1, 8]) {
          const x = goldenInputs(name, batch);
          expectSame(await two.predict(x), await one.predict(x), `${name} batch ${batch}`);
        }
        expect(batchSplitters().engines).toBe(before.engines);
        expect(batchSplitters().helpers).toBeGreaterThan(0);
        // Batches 2, 5 and 8 split; the one record ran whole.
        expect(batchSplitters().splitBatches).toBe(before.splitBatches + 3);
      } finally {
        await one.dispose();
        await two.dispose();
      }
    });
  }
});

describe('split batches on the MNIST CNN', () => {
  let one: Engine;
  let two: Engine;

  beforeAll(async () => {
    [one, two] = await pair(MNIST);
  });
  afterAll(async () => {
    await one.dispose();
    await two.dispose();
  });

  it('a one-record batch runs in the caller: no helper thread starts', async () => {
    const helpers = batchSplitters().helpers;
    expectSame(await two.predict([records(1, 1)]), await one.predict([records(1, 1)]), 'batch 1');
    expect(batchSplitters().helpers).toBe(helpers);
  });

  it('batches growing and shrinking (shared buffers replaced) score as one session', async () => {
    const helpers = batchSplitters().helpers;
    for (const [i, batch] of [2, 3, 64, 5, 257, 4].entries()) {
      const x = [records(batch, i)];
      expectSame(await two.predict(x), await one.predict(x), `batch ${batch}`);
    }
    expect(batchSplitters().helpers).toBe(helpers + 1);
  });

  it('concurrent calls each get their own records back', async () => {
    const xs = [7, 2, 33, 16].map((batch, i) => [records(batch, 10 + i)]);
    const together = await Promise.all(xs.map((x) => two.predict(x)));
    for (const [i, x] of xs.entries()) expectSame(together[i], await one.predict(x), `call ${i}`);
  });

  it('dispose stops the helper thread', async () => {
    const engine = await engineWith(MNIST, 2, '1');
    const helpers = batchSplitters().helpers;
    await engine.predict([records(4, 3)]);
    expect(batchSplitters().helpers).toBe(helpers + 1);
    await engine.dispose();
    for (let i = 0; i < 50 && batchSplitters().helpers > helpers; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(batchSplitters().helpers).toBe(helpers);
  });

  it('a helper thread that dies while a batch waits on it: the caller scores its half too, later batches whole', async () => {
    const engine = await engineWith(MNIST, 2, '1');
    try {
      const helpers = batchSplitters().helpers;
      const x = [records(512, 7)];
      const expected = await one.predict(x);
      expectSame(await engine.predict(x), expected, 'before');
      expect(batchSplitters().helpers).toBe(helpers + 1);
      // The thread is the engine's own: a test reaches it to end it. Ended while it waits for a request (ending
      // it inside onnxruntime's run aborts the process), it is gone before the request it would take comes.
      const { worker } = (engine as unknown as { splitter: { helper: { worker: Worker } } }).splitter.helper;
      const split = batchSplitters().splitBatches;
      const ended = worker.terminate();
      expectSame(await engine.predict(x), expected, 'the batch the helper died in');
      await ended;
      expect(batchSplitters().splitBatches).toBe(split + 1);
      expect(batchSplitters().helpers).toBe(helpers);
      for (const batch of [512, 3]) {
        const y = [records(batch, batch)];
        expectSame(await engine.predict(y), await one.predict(y), `after, batch ${batch}`);
      }
      expect(batchSplitters().splitBatches).toBe(split + 1);
    } finally {
      await engine.dispose();
    }
  });
});

/**
 * Scores `x` on `engine` until two batches were split (the helper thread starts in the background, batches
 * running whole meanwhile), each call's outputs equal to `expected`.
 */
async function untilSplit(engine: Engine, x: InputTensor[], expected: Tensor[]): Promise<void> {
  const before = batchSplitters().splitBatches;
  const deadline = Date.now() + 20_000;
  for (let call = 0; batchSplitters().splitBatches < before + 2; call++) {
    expect(Date.now(), 'two batches split within 20 s').toBeLessThan(deadline);
    expectSame(await engine.predict(x), expected, `call ${call}`);
  }
}

describe('which engines split batches by default', () => {
  const goldenModel = (name: string) => join(fixtures, 'models', `${name}.keras`);

  it('a convolutional network splits its batches too, with the same numbers', async () => {
    const { engines, helpers } = batchSplitters();
    const one = await engineWith(MNIST, 1, undefined);
    const two = await engineWith(MNIST, 2, undefined);
    try {
      expect(batchSplitters().engines).toBe(engines + 1);
      const x = [records(64, 5)];
      const expected = await one.predict(x);
      const split = batchSplitters().splitBatches;
      // The first run warms the session up and the next three measure the work; the fifth starts the helper
      // thread and, not waiting for it, runs whole.
      for (let call = 0; call < 4; call++) expectSame(await two.predict(x), expected, `call ${call}`);
      expect(batchSplitters().helpers).toBe(helpers);
      expectSame(await two.predict(x), expected, 'call 4');
      expect(batchSplitters().helpers).toBe(helpers + 1);
      expect(batchSplitters().splitBatches).toBe(split);
      await untilSplit(two, x, expected);
    } finally {
      await one.dispose();
      await two.dispose();
    }
  });

  it('one thread, splitting turned off, or a model over the size limit keeps one session', async () => {
    await withSplit(undefined, () => {
      expect(batchSplitting(1024, 2)).not.toBeNull();
      expect(batchSplitting(SPLIT_MAX_MODEL_BYTES, 4)).not.toBeNull();
      expect(batchSplitting(SPLIT_MAX_MODEL_BYTES + 1, 2)).toBeNull();
      expect(batchSplitting(1024, 1)).toBeNull();
    });
    await withSplit('0', () => expect(batchSplitting(1024, 2)).toBeNull());
    await withSplit('1', () =>
      expect(batchSplitting(SPLIT_MAX_MODEL_BYTES + 1, 2)).toEqual({ minSplitMs: 0 }),
    );
  });

  it('a small MLP splits no batch too small to pay for the hand-off', async () => {
    const { engines, helpers } = batchSplitters();
    const engine = await engineWith(goldenModel('dense'), 2, undefined);
    try {
      expect(batchSplitters().engines).toBe(engines + 1);
      const split = batchSplitters().splitBatches;
      // Every third run is held up 5 ms, as a preempted thread or a garbage collection holds one up: the
      // engine's clock sees 0.6 ms a record, ten times the run's work. Such runs must not make it split.
      for (let i = 0; i < 24; i++) {
        const run = engine.predict(goldenInputs('dense', 8));
        if (i % 3 === 1) setImmediate(() => busyFor(5));
        await run;
      }
      expect(batchSplitters().helpers).toBe(helpers);
      expect(batchSplitters().splitBatches).toBe(split);
    } finally {
      await engine.dispose();
    }
  });

  it('a transformer block splits its batches once a batch holds enough work, with the same numbers', async () => {
    const { helpers } = batchSplitters();
    const one = await engineWith(goldenModel('transformer_block'), 1, undefined);
    const two = await engineWith(goldenModel('transformer_block'), 2, undefined);
    try {
      const x = goldenInputs('transformer_block', 512);
      const expected = await one.predict(x);
      await untilSplit(two, x, expected);
      expect(batchSplitters().helpers).toBe(helpers + 1);
    } finally {
      await one.dispose();
      await two.dispose();
    }
  });
});
