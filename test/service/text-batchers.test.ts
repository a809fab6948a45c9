/**
 * The record batcher, with its batch-job (`fill`) and online (`idle`) flush policies, carries string records: the records of many files or
 * requests are scored together, and each gets the rows its records give alone.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordBatcher } from '../../src/batch/record-batcher.js';
import { openModel } from '../../src/engine/open-model.js';
import type { Engine, Tensor } from '../../src/engine/types.js';
import { readInputFile } from '../../src/scoring/index.js';
import { repoRoot } from '../helpers/cli.js';

const texts = ['The cat sat on the mat.', 'DÉJÀ vu!', '', 'great, great   GREAT: the café', 'unknown words'];
const enc = (s: string) => new TextEncoder().encode(s);

let engine: Engine;
let alone: Tensor[];
beforeAll(async () => {
  engine = (await openModel(join(repoRoot, 'fixtures', 'models', 'text_classifier.keras'), { threads: 1 }))
    .engine;
  alone = await Promise.all(
    texts.map(async (t) => (await engine.predict([{ strings: [t], dims: [1, 1] }]))[0]),
  );
});
afterAll(async () => {
  await engine.dispose();
});

const files = () => texts.map((t) => readInputFile(enc(JSON.stringify({ values: t })), engine.inputs));

function expectAlone(outputs: Tensor[][]) {
  for (const [i, [out]] of outputs.entries()) {
    expect(out.dims).toEqual([1, 3]);
    // the same numbers up to float rounding (onnxruntime's kernels may sum in another order for a batch)
    for (const [k, v] of out.data.entries()) expect(Math.abs(v - alone[i].data[k])).toBeLessThan(1e-6);
  }
}

describe('batchers with string records', () => {
  it('the micro-batcher scores the string records of many files in one batch', async () => {
    const batcher = new RecordBatcher(engine, 64, 'fill');
    const pending = files().map((r) => batcher.add(r));
    await batcher.drain();
    expectAlone(await Promise.all(pending));
    expect(batcher.batches).toBe(1);
  });

  it('the online batcher gathers concurrent string requests', async () => {
    const batcher = new RecordBatcher(engine, 64, 'idle');
    expectAlone(await Promise.all(files().map((r) => batcher.add(r))));
    expect(batcher.batches).toBe(2); // the first request alone (the engine was idle), the rest gathered
  });
});
