import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/batch/index.js';
import { type OpenModel, openModel } from '../../src/engine/open-model.js';
import { type BucketDriver, createFsDriver, StorageError } from '../../src/storage/index.js';
import { repoRoot } from '../helpers/cli.js';
import { seedExamples } from '../helpers/seed.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

const exampleModel = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');
const exampleInput = readFileSync(join(repoRoot, 'examples', 'input', 'img1.json'));

let model: OpenModel;
let work: string;

beforeAll(async () => {
  model = await openModel(exampleModel, { threads: 1 });
  work = mkdtempSync(join(tmpdir(), 'kb-runner-'));
});
afterAll(async () => {
  await model.engine.dispose();
  rmSync(work, { recursive: true, force: true });
});

function folders(name: string) {
  const source = join(work, name, 'in');
  const target = join(work, name, 'out');
  mkdirSync(source, { recursive: true });
  return { source, target };
}

function job(source: string, target: string, extra: Partial<Parameters<typeof runBatchJob>[0]> = {}) {
  return runBatchJob({
    model: { engine: model.engine, sha256: model.sha256, name: 'mnist-cnn.keras' },
    source: createFsDriver({ root: source }),
    target: createFsDriver({ root: target, create: true }),
    ...extra,
  });
}

describeShared("the seed's own example", () => {
  it("scores the seed's img1.json into the seed's output shape and field order", async () => {
    const seed = seedExamples(sharedDir() as string);
    const { source, target } = folders('seed');
    writeFileSync(join(source, 'img1.json'), seed.input);
    const report = await job(source, target);
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, total: 1 });
    const text = readFileSync(join(target, 'img1.json'), 'utf8');
    const ours = JSON.parse(text);
    const theirs = JSON.parse(seed.output);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(Object.keys(ours['img1.json'])).toEqual(Object.keys(theirs['img1.json']));
    expect(ours['img1.json'].fields).toEqual(theirs['img1.json'].fields);
    const [pred, cls, prob] = ours['img1.json'].values;
    const [seedPred, seedCls, seedProb] = theirs['img1.json'].values;
    expect(pred).toHaveLength(seedPred.length);
    expect(prob).toEqual(pred);
    expect(seedProb).toEqual(seedPred);
    expect(typeof cls).toBe(typeof seedCls);
    expect(cls).toBe(pred.indexOf(Math.max(...pred)));
    // The seed's image is a handwritten 5; a trained MNIST CNN must say so.
    expect(cls).toBe(5);
  });
});

describe('runBatchJob on folders', () => {
  it('gathers single-record files into micro-batches and writes one output per input', async () => {
    const { source, target } = folders('many');
    for (let i = 0; i < 300; i += 1) writeFileSync(join(source, `img${i}.json`), exampleInput);
    mkdirSync(join(source, 'nested'));
    writeFileSync(join(source, 'nested', 'deep.json'), exampleInput);
    const report = await job(source, target, { batchSize: 64 });
    expect(report.counts).toMatchObject({
      listed: 301,
      scored: 301,
      failed: 0,
      skipped: 0,
      records: 301,
      total: 301,
    });
    expect(report.status).toBe('completed');
    const outputs = readdirSync(target).filter((f) => f.endsWith('.json'));
    expect(outputs).toHaveLength(300);
    const nested = JSON.parse(readFileSync(join(target, 'nested', 'deep.json'), 'utf8'));
    expect(Object.keys(nested)).toEqual(['nested/deep.json']);
    const report2 = JSON.parse(readFileSync(join(target, report.reportKey as string), 'utf8'));
    expect(report2.counts.scored).toBe(301);
    expect(readFileSync(join(target, '_keras-batch', report.jobId, 'errors.jsonl'), 'utf8')).toBe('');
    // The run's claims went with it, and so did their emptied folder.
    expect(readdirSync(join(target, '_keras-batch')).sort()).toEqual([report.jobId, 'ledger'].sort());
  });

  it('writes the same outputs with file threads as with everything on the job thread', async () => {
    const { source } = folders('threads');
    const mnistLike = (i: number) =>
      JSON.stringify({
        values: [
          Array.from({ length: 28 }, (_, r) =>
            Array.from({ length: 28 }, (_, c) => [((r * 28 + c + i) % 97) / 97]),
          ),
        ],
      });
    for (let i = 0; i < 200; i += 1) writeFileSync(join(source, `img${i}.json`), mnistLike(i));
    const threaded = await job(source, join(work, 'threads', 'out-2'), { ioThreads: 2, batchSize: 32 });
    const here = await job(source, join(work, 'threads', 'out-0'), { ioThreads: 0, batchSize: 32 });
    expect(threaded.counts).toEqual(here.counts);
    expect(threaded.counts.scored).toBe(200);
    // Micro-batches form differently in the two runs, which may change the last bits of a prediction.
    for (let i = 0; i < 200; i += 1) {
      const name = `img${i}.json`;
      const read = (dir: string) => JSON.parse(readFileSync(join(work, 'threads', dir, name), 'utf8'))[name];
      const [a, b] = [read('out-2'), read('out-0')];
      expect(a.fields).toEqual(b.fields);
      expect(a.values[1]).toBe(b.values[1]);
      expect(a.values[0]).toHaveLength(10);
      for (const [j, v] of (a.values[0] as number[]).entries()) expect(v).toBeCloseTo(b.values[0][j], 6);
    }
  });

  it('fails each bad input with its own reason and stage, and scores all the good ones', async () => {
    const { source, target } = folders('bad');
    for (let i = 0; i < 20; i += 1) writeFileSync(join(source, `good${i}.json`), exampleInput);
    const bad: Record<string, [string | Buffer, string, RegExp]> = {
      'not-json.json': ['{"values": [1, 2', 'parse', /not valid JSON/],
      'no-values.json': ['{"value": []}', 'parse', /no "values"/],
      'wrong-shape.json': [JSON.stringify({ values: [[[[0.5]]]] }), 'validate', /axis 1 .* expects 28/],
      'strings.json': ['{"values": ["a"]}', 'parse', /not a number|a string/],
      'nan.json': ['{"values": [NaN]}', 'parse', /NaN/],
      'empty.json': ['', 'read', /empty/],
      'big.json': [`{"values": [${'0.0,'.repeat(300_000)}0.0]}`, 'list', /over the size limit/],
      'notes.txt': ['hello', 'list', /not an input file/],
    };
    for (const [name, [content]] of Object.entries(bad)) writeFileSync(join(source, name), content);
    const report = await job(source, target, { maxFileBytes: 1_000_000 });
    expect(report.counts).toMatchObject({ scored: 20, failed: Object.keys(bad).length });
    expect(report.status).toBe('completed_with_failures');
    for (const [name, [, stage, reason]] of Object.entries(bad)) {
      const failure = report.failures.find((f) => f.file === name);
      expect(failure, name).toBeDefined();
      expect(failure?.stage, name).toBe(stage);
      expect(failure?.reason, name).toMatch(reason);
    }
    const lines = readFileSync(join(target, '_keras-batch', report.jobId, 'errors.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(Object.keys(bad).length);
    expect(readdirSync(target).filter((f) => f.endsWith('.json'))).toHaveLength(20);
  });

  it('stops early when failures pass --max-failures, and says why', async () => {
    const { source, target } = folders('maxfail');
    for (let i = 0; i < 1500; i += 1)
      writeFileSync(join(source, `bad${String(i).padStart(4, '0')}.json`), '{}');
    const report = await job(source, target, { maxFailures: { kind: 'count', value: 5 } });
    expect(report.status).toBe('stopped');
    expect(report.stoppedReason).toMatch(/more than --max-failures 5/);
    expect(report.counts.failed).toBeGreaterThan(5);
    expect(report.counts.failed).toBeLessThan(1500);
    expect(report.counts.total).toBe(report.counts.failed);
  });

  it('resumes: skips what the same model already scored from the same input version, redoes the rest', async () => {
    const { source, target } = folders('resume');
    for (let i = 0; i < 40; i += 1) writeFileSync(join(source, `img${i}.json`), exampleInput);
    const first = await job(source, target);
    expect(first.counts.scored).toBe(40);
    rmSync(join(target, 'img3.json'));
    writeFileSync(join(source, 'img5.json'), `${exampleInput.toString()}\n`);
    const second = await job(source, target, { resume: true });
    expect(second.counts).toMatchObject({ scored: 2, skipped: 38, failed: 0 });
    const other = await job(source, target, {
      resume: true,
      model: { engine: model.engine, sha256: 'another-model', name: 'x' },
    });
    expect(other.counts).toMatchObject({ scored: 40, skipped: 0 });
  });

  it('cancels on signal and reports it', async () => {
    const { source, target } = folders('cancel');
    for (let i = 0; i < 600; i += 1) writeFileSync(join(source, `img${i}.json`), exampleInput);
    const controller = new AbortController();
    const report = await job(source, target, {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.counts.scored > 0) controller.abort();
      },
      progressIntervalMs: 5,
    });
    expect(report.status).toBe('canceled');
    expect(report.counts.scored).toBeLessThan(600);
  });

  it('gives inputs whose storage stayed unavailable one more try at the end; fails them only if it fails again', async () => {
    const { source, target } = folders('flaky');
    for (let i = 0; i < 30; i += 1) writeFileSync(join(source, `img${i}.json`), exampleInput);
    const real = createFsDriver({ root: source });
    const calls = new Map<string, number>();
    const flaky: BucketDriver = {
      ...real,
      fsOptions: undefined, // read through `get` below, not by the file threads straight from the folder
      get: async (key) => {
        const n = (calls.get(key) ?? 0) + 1;
        calls.set(key, n);
        if (key === 'img7.json' || (key.endsWith('3.json') && n === 1)) {
          throw new StorageError('STORAGE_UNAVAILABLE', `503 SlowDown for ${key}`, { retryable: true });
        }
        return real.get(key);
      },
    };
    const report = await job(source, target, { source: flaky });
    expect(report.counts).toMatchObject({ scored: 29, failed: 1, total: 30, listed: 30 });
    expect(report.failures).toEqual([
      expect.objectContaining({ file: 'img7.json', stage: 'read', code: 'STORAGE_UNAVAILABLE' }),
    ]);
    expect(calls.get('img13.json')).toBe(2);
    expect(calls.get('img7.json')).toBe(2);
  });
});
