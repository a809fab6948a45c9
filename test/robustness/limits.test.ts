/**
 * The budgets of src/util/limits.ts, each checked before the work: hostile model files (built here, in
 * memory) are refused with a LIMIT_EXCEEDED error that names the limit and how to raise it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/batch/file-stages.js';
import { runBatchJob } from '../../src/batch/index.js';
import { openModel } from '../../src/engine/open-model.js';
import { loadModel } from '../../src/keras/index.js';
import { formatPrediction } from '../../src/scoring/index.js';
import { createFsDriver } from '../../src/storage/index.js';
import {
  defaultLimits,
  LimitError,
  type Limits,
  parseLimitSettings,
  setLimits,
} from '../../src/util/limits.js';
import { repoRoot } from '../helpers/shared.js';

const MNIST_KERAS = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');

async function refusal(promise: Promise<unknown>): Promise<LimitError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LimitError);
  return error as LimitError;
}

const limits = (over: Partial<Limits> = {}): Limits => ({ ...defaultLimits(), ...over });

/** A legacy .h5 declaring a Dense n → n whose weights are never written (h5wasm, like h5py, allocates lazily). */
async function hugeWeightH5(n: number): Promise<Uint8Array> {
  await h5wasm.ready;
  const path = join(tmpdir(), `keras-batch-huge-${process.pid}-${Math.random().toString(36).slice(2)}.h5`);
  const f = new h5wasm.File(path, 'w');
  const config = {
    class_name: 'Sequential',
    config: [{ class_name: 'Dense', config: { name: 'dense', units: n, batch_input_shape: [null, n] } }],
  };
  f.create_attribute('model_config', JSON.stringify(config));
  f.create_attribute('keras_version', '2.1.1');
  const mw = f.create_group('model_weights');
  mw.create_attribute('layer_names', ['dense'], null, 'S5');
  const g = mw.create_group('dense');
  g.create_attribute('weight_names', ['dense/kernel:0', 'dense/bias:0'], null, 'S14');
  g.create_group('dense');
  for (const [name, shape] of [
    ['dense/kernel:0', [n, n]],
    ['dense/bias:0', [n]],
  ] as const) {
    g.create_dataset({
      name,
      data: new Float32Array(1),
      shape: shape.map(() => 1),
      maxshape: shape.map(() => null),
      chunks: shape.map(() => 1),
      dtype: '<f',
    });
    (g.get(name) as InstanceType<typeof h5wasm.Dataset>).resize([...shape]);
  }
  f.close();
  const bytes = new Uint8Array(readFileSync(path));
  unlinkSync(path);
  return bytes;
}

describe('limits: settings', () => {
  it('parses name=value settings with sizes, and refuses unknown names and bad values', () => {
    expect(parseLimitSettings(['weight-bytes=1GiB', 'layers=50', 'config-bytes=512kB'])).toEqual({
      weightBytes: 1024 ** 3,
      layers: 50,
      configBytes: 512 * 1024,
    });
    expect(() => parseLimitSettings(['weights=1GiB'])).toThrow(/name=value.*weight-bytes/);
    expect(() => parseLimitSettings(['layers=10k'])).toThrow(/layers: a whole number/);
    expect(() => parseLimitSettings(['layers=0'])).toThrow(/at least 1/);
  });

  it('defaults the weight budget to 1/16 of the memory (at least 1 GiB), and I/O threads to 2 per core', () => {
    expect(defaultLimits(64 * 1024 ** 3, 8).weightBytes).toBe(4 * 1024 ** 3);
    expect(defaultLimits(4 * 1024 ** 3, 8).weightBytes).toBe(1024 ** 3);
    expect(defaultLimits(4 * 1024 ** 3, 8).ioThreads).toBe(16);
  });

  it('takes KERAS_BATCH_LIMITS, then the flags over it', () => {
    const saved = process.env.KERAS_BATCH_LIMITS;
    process.env.KERAS_BATCH_LIMITS = 'layers=7, records-per-file=9';
    try {
      const set = setLimits(['layers=8']);
      expect(set.layers).toBe(8);
      expect(set.recordsPerFile).toBe(9);
    } finally {
      if (saved === undefined) delete process.env.KERAS_BATCH_LIMITS;
      else process.env.KERAS_BATCH_LIMITS = saved;
      setLimits([]);
    }
  });
});

describe('limits: hostile model files are refused before the work', () => {
  it('refuses a 100M-element weight declared in a small .h5 under the default budget, before reading it', async () => {
    const bytes = await hugeWeightH5(10_000);
    expect(bytes.byteLength).toBeLessThan(64 * 1024);
    // the defaults of a 16 GiB machine: the 400 MB fit the weight budget, but the file stores none of them
    const error = await refusal(loadModel(bytes, { limits: limits(defaultLimits(16 * 1024 ** 3)) }));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.limit).toBe('weight-file-ratio');
    expect(error.message).toContain('100010000 elements');
    expect(error.message).toContain('--limit weight-file-ratio=');
    expect(error.message).toContain('KERAS_BATCH_LIMITS');
  });

  it('refuses weights over the budget, naming weight-bytes', async () => {
    const bytes = await hugeWeightH5(10_000);
    const error = await refusal(loadModel(bytes, { limits: limits({ weightBytes: 256 * 1024 ** 2 }) }));
    expect(error.limit).toBe('weight-bytes');
    expect(error.message).toContain('--limit weight-bytes=');
  });

  it('refuses a zip member declaring a huge config.json before inflating it', async () => {
    const zip = zipSync({ 'config.json': strToU8(`{"name": "${' '.repeat(3 * 1024 ** 2)}"}`) });
    const error = await refusal(loadModel(zip, { limits: limits({ configBytes: 1024 ** 2 }) }));
    expect(error.limit).toBe('config-bytes');
    expect(error.message).toMatch(
      /zip member config\.json \(uncompressed\): 3 MiB is over the config-bytes limit of 1 MiB/,
    );
  });

  it('refuses a highly compressed member, too many members and a too-large member', async () => {
    const files = unzipSync(readFileSync(MNIST_KERAS));
    const bomb = zipSync({ ...files, 'model.weights.h5': new Uint8Array(4 * 1024 ** 2) });
    expect((await refusal(loadModel(bomb))).limit).toBe('zip-ratio');
    const many = zipSync({
      ...files,
      ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x${i}`, strToU8('x')])),
    });
    expect((await refusal(loadModel(many, { limits: limits({ zipMembers: 10 }) }))).limit).toBe(
      'zip-members',
    );
    const weights = files['model.weights.h5'].byteLength;
    const big = await refusal(
      loadModel(readFileSync(MNIST_KERAS), { limits: limits({ zipMemberBytes: weights - 1 }) }),
    );
    expect(big.limit).toBe('zip-member-bytes');
    // and the real model loads under the defaults
    expect((await loadModel(bomb, { limits: limits({ zipRatio: 10_000 }) }).catch((e) => e)).name).not.toBe(
      'LimitError',
    );
    expect((await loadModel(readFileSync(MNIST_KERAS))).layers.length).toBeGreaterThan(3);
  });

  it('refuses a config nested too deeply and a model with too many layers', async () => {
    const deep = zipSync({ 'config.json': strToU8(`${'['.repeat(5000)}${']'.repeat(5000)}`) });
    const error = await refusal(loadModel(deep));
    expect(error.limit).toBe('config-depth');
    expect(error.message).toContain('5000 is over the config-depth limit of 256');
    const layers = await refusal(loadModel(readFileSync(MNIST_KERAS), { limits: limits({ layers: 3 }) }));
    expect(layers.limit).toBe('layers');
    expect(layers.message).toMatch(/config\.json's layer count: \d+ is over the layers limit of 3/);
  });
});

describe('limits: inputs and outputs', () => {
  it('fails a file with more records than records-per-file, naming the limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-records-'));
    try {
      writeFileSync(
        join(dir, 'a.json'),
        JSON.stringify({ values: Array.from({ length: 50 }, () => [1, 2]) }),
      );
      const source = createFsDriver({ root: dir });
      const specs = [{ name: 'x', shape: [null, 2] }];
      const entry = { key: 'a.json', etag: '' };
      const out = await readInput(source, entry, { specs, maxFileBytes: 1e9, maxRecords: 10 });
      expect(out.ok).toBe(false);
      if (out.ok) return;
      expect(out.error).toBeInstanceOf(LimitError);
      expect((out.error as LimitError).message).toContain('50 is over the records-per-file limit of 10');
      expect((await readInput(source, entry, { specs, maxFileBytes: 1e9, maxRecords: 50 })).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an output over output-bytes-per-file as it grows, before building it whole', () => {
    const outputs = [{ data: new Float32Array(1000 * 10).fill(0.123456789), dims: [1000, 10] }];
    const whole = formatPrediction('a.json', outputs, 0, 1000);
    expect(() => formatPrediction('a.json', outputs, 0, 1000, whole.length)).not.toThrow();
    expect(() => formatPrediction('a.json', outputs, 0, 1000, 10_000)).toThrow(
      /the output of a\.json: .* is over the output-bytes-per-file limit of 9\.8 KiB/,
    );
  });
});

describe('limits: file-I/O threads', () => {
  it('refuses more I/O threads than io-threads (2 per core) before the job starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-io-threads-'));
    const model = await openModel(MNIST_KERAS, { threads: 1 });
    try {
      const job = {
        model: { engine: model.engine, sha256: model.sha256, name: 'mnist-cnn.keras' },
        source: createFsDriver({ root: dir }),
        target: createFsDriver({ root: join(dir, 'out'), create: true }),
        ioThreads: 1000,
        limits: limits({ ioThreads: 4 }),
      };
      const error = await refusal(runBatchJob(job));
      expect(error.message).toContain('1000 is over the io-threads limit of 4');
      expect(readdirSync(dir)).toEqual([]); // nothing started: no report, no target folder
    } finally {
      await model.engine.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
