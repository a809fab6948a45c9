/** The file threads give the same outcomes as the job's own thread, failures included, and write whole files. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InputRead, type InputUnread, inThreadStages } from '../../src/batch/file-stages.js';
import { FileThreads, stopFileThreads } from '../../src/batch/file-threads/pool.js';
import { Semaphore } from '../../src/batch/semaphore.js';
import type { Tensor, TensorSpec } from '../../src/engine/types.js';
import { createFsDriver, type ObjectEntry } from '../../src/storage/index.js';
import { KerasBatchError } from '../../src/util/errors.js';

const specs: TensorSpec[] = [{ name: 'x', shape: [null, 2, 3] }];
const spec = { specs, maxFileBytes: 400 };
let work: string;
let source: string;
let target: string;

const files: Record<string, string> = {
  'good.json': '{"values": [[1, 2, 3], [4, 5.5, -6e-1]]}',
  'batch.json': '{"values": [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [0.1, 0.2, 0.3]]]}',
  'not-json.json': '{"values": [[1, 2, 3], [4, 5,',
  'wrong-shape.json': '{"values": [[1, 2], [3, 4]]}',
  'nan.json': '{"values": [[1, NaN, 3], [4, 5, 6]]}',
  'empty.json': '',
  'large.json': `{"values": [[1, 2, 3], [4, 5, 6]], "pad": "${'x'.repeat(500)}"}`,
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kb-file-threads-'));
  source = join(work, 'in');
  target = join(work, 'out');
  mkdirSync(source);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(source, name), text);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const entry = (key: string): ObjectEntry => ({ key, etag: 'e', size: 0, lastModified: new Date(0) });

function summary(outcome: InputRead | InputUnread) {
  if (outcome.ok) {
    return {
      ok: true,
      count: outcome.records.count,
      tensors: outcome.records.tensors,
      version: outcome.version,
    };
  }
  const error = outcome.error as KerasBatchError;
  return {
    ok: false,
    stage: outcome.stage,
    isKerasBatchError: error instanceof KerasBatchError,
    code: error.code,
    message: error.message,
    retryable: error.retryable,
  };
}

describe('file threads', () => {
  it('read and parse every kind of input exactly as the job thread does, failures with their stage and code', async () => {
    const src = createFsDriver({ root: source });
    const dst = createFsDriver({ root: target, create: true });
    const here = inThreadStages(src, dst, spec, new Semaphore(4));
    const threads = new FileThreads({ source: src.fsOptions ?? null, target: null, spec }, 2, here);
    try {
      const keys = [...Object.keys(files), 'missing.json'];
      const viaThreads = await Promise.all(keys.map((k) => threads.read(entry(k))));
      const viaHere = await Promise.all(keys.map((k) => here.read(entry(k))));
      expect(threads.sentToThreads).toBe(keys.length);
      expect(viaThreads.map(summary)).toEqual(viaHere.map(summary));
      const byKey = Object.fromEntries(keys.map((k, i) => [k, summary(viaThreads[i])]));
      expect(byKey['good.json']).toMatchObject({ ok: true, count: 1 });
      expect(Array.from(((viaThreads[0] as InputRead).records.tensors[0] as Tensor).data)).toEqual(
        Array.from(new Float32Array([1, 2, 3, 4, 5.5, -0.6])),
      );
      expect(byKey['batch.json']).toMatchObject({ ok: true, count: 2 });
      expect(byKey['not-json.json']).toMatchObject({ ok: false, stage: 'parse', isKerasBatchError: true });
      expect(byKey['wrong-shape.json']).toMatchObject({
        ok: false,
        stage: 'parse',
        code: 'INPUT_WRONG_SHAPE',
      });
      expect(byKey['nan.json']).toMatchObject({ ok: false, stage: 'parse', code: 'INPUT_NOT_FINITE' });
      expect(byKey['empty.json']).toMatchObject({ ok: false, stage: 'read', code: 'INPUT_EMPTY' });
      expect(byKey['large.json']).toMatchObject({ ok: false, stage: 'read', code: 'INPUT_TOO_LARGE' });
      expect(byKey['missing.json']).toMatchObject({ ok: false, stage: 'read', code: 'STORAGE_NOT_FOUND' });
    } finally {
      await threads.close();
    }
  });

  it('write whole outputs from the threads, none left half-written or as a temporary file', async () => {
    const src = createFsDriver({ root: source });
    const dst = createFsDriver({ root: target, create: true });
    const here = inThreadStages(src, dst, spec, new Semaphore(4));
    const threads = new FileThreads({ source: null, target: dst.fsOptions ?? null, spec }, 2, here);
    try {
      const texts = Array.from({ length: 300 }, (_, i) => `{"o${i}.json": ${JSON.stringify('y'.repeat(i))}}`);
      const ms = await Promise.all(texts.map((t, i) => threads.write(`sub/o${i}.json`, t)));
      expect(ms.every((m) => m >= 0)).toBe(true);
      expect(threads.sentToThreads).toBe(300);
      for (const [i, t] of texts.entries())
        expect(readFileSync(join(target, 'sub', `o${i}.json`), 'utf8')).toBe(t);
      expect(readdirSync(join(target, 'sub')).filter((n) => n.startsWith('.kb-tmp-'))).toEqual([]);
      // A key that escapes the folder fails on the thread as it would here.
      await expect(threads.write('../escape.json', '{}')).rejects.toMatchObject({
        code: 'STORAGE_INVALID_KEY',
      });
    } finally {
      await threads.close();
    }
  });

  it('hand reads to the job thread once the job is closed', async () => {
    const src = createFsDriver({ root: source });
    const here = inThreadStages(src, src, spec, new Semaphore(4));
    const threads = new FileThreads({ source: src.fsOptions ?? null, target: null, spec }, 1, here);
    await threads.close();
    const outcome = await threads.read(entry('good.json'));
    expect(outcome.ok).toBe(true);
    expect(threads.sentToThreads).toBe(0);
  });

  it('lose nothing when the threads stop mid-flight: their requests finish on the job thread', async () => {
    const src = createFsDriver({ root: source });
    const here = inThreadStages(src, src, spec, new Semaphore(4));
    const threads = new FileThreads({ source: src.fsOptions ?? null, target: null, spec }, 2, here);
    try {
      const keys = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? 'good.json' : 'batch.json'));
      const reads = keys.map((k) => threads.read(entry(k)));
      await new Promise((resolve) => setTimeout(resolve, 5));
      await stopFileThreads();
      const outcomes = await Promise.all(reads);
      expect(outcomes.map((o) => o.ok && o.records.count)).toEqual(
        keys.map((k) => (k === 'good.json' ? 1 : 2)),
      );
      expect(threads.sentToThreads).toBe(2000);
    } finally {
      await threads.close();
    }
  });

  it('serve several jobs at once from the same threads, each with its own folders', async () => {
    const a = createFsDriver({ root: source });
    const other = join(work, 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'good.json'), '{"values": [[9, 9, 9], [9, 9, 9]]}');
    const b = createFsDriver({ root: other });
    const jobA = new FileThreads(
      { source: a.fsOptions ?? null, target: null, spec },
      2,
      inThreadStages(a, a, spec, new Semaphore(4)),
    );
    const jobB = new FileThreads(
      { source: b.fsOptions ?? null, target: null, spec },
      2,
      inThreadStages(b, b, spec, new Semaphore(4)),
    );
    try {
      const [ra, rb] = await Promise.all([jobA.read(entry('good.json')), jobB.read(entry('good.json'))]);
      expect(ra.ok && Array.from((ra.records.tensors[0] as Tensor).data)[0]).toBe(1);
      expect(rb.ok && Array.from((rb.records.tensors[0] as Tensor).data)[0]).toBe(9);
    } finally {
      await Promise.all([jobA.close(), jobB.close()]);
    }
  });
});
