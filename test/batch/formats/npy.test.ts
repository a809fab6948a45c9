import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../../src/scoring/formats/npy.js';
import { type BucketDriver, createFsDriver } from '../../../src/storage/index.js';
import { exampleInputs, exampleModel } from '../../helpers/batch-files.js';
import { formatJobs } from './format-jobs.js';

const jobs = formatJobs(exampleModel);
const { folders, job } = jobs;

/** The ten example digits as one (10, 28, 28, 1) float32 array (MNIST pixels 0-1). */
const digits = Float32Array.from(exampleInputs().flatMap((t) => JSON.parse(t).values.flat(4) as number[]));

/** A `.npy` of any dtype, written by hand: header text, then each element through `write`. */
function npy(descr: string, shape: number[], values: ArrayLike<number>, fortran = false): Uint8Array {
  const size = Number(descr.slice(2));
  const little = descr[0] !== '>';
  const body = new DataView(new ArrayBuffer(values.length * size));
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    const at = i * size;
    const kind = descr.slice(1, 2);
    if (kind === 'f') size === 4 ? body.setFloat32(at, v, little) : body.setFloat64(at, v, little);
    else if (kind === 'b' || size === 1) body.setUint8(at, v);
    else if (size === 2) body.setUint16(at, v, little);
    else if (size === 4) body.setUint32(at, v, little);
    else body.setBigInt64(at, BigInt(v), little);
  }
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${dims}, }`;
  header += `${' '.repeat(64 - ((11 + header.length) % 64))}\n`;
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), new Uint8Array(body.buffer)]);
}

/** The engine's predictions and classes for records given as float32. */
async function engineOn(data: Float32Array, count: number) {
  const [out] = await jobs.model().engine.predict([{ data, dims: [count, 28, 28, 1] }]);
  const classes = Array.from({ length: count }, (_, r) => {
    const row = Array.from(out.data.subarray(r * 10, r * 10 + 10));
    return row.indexOf(Math.max(...row));
  });
  return { out, classes };
}

const closeTo = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i += 1) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
};

describe('NumPy inputs', () => {
  it('scores a (10, 28, 28, 1) float32 .npy into predictions .npy and .classes.npy matching the engine', async () => {
    const { source, target } = folders();
    writeFileSync(join(source, 'digits.npy'), encodeNpy(digits, [10, 28, 28, 1]));
    const report = await job(source, target, { batchSize: 4 });
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: 10 });
    const predictions = parseNpy(readFileSync(join(target, 'digits.npy')), 'out');
    const classes = parseNpy(readFileSync(join(target, 'digits.classes.npy')), 'classes');
    const want = await engineOn(digits, 10);
    expect(predictions.shape).toEqual([10, 10]);
    expect(predictions.descr).toBe('<f4');
    closeTo(predictions.data, want.out.data);
    expect(classes).toMatchObject({ shape: [10], descr: '<i4' });
    expect(Array.from(classes.data)).toEqual(want.classes);
    const again = await job(source, target, { resume: true });
    expect(again.counts).toMatchObject({ scored: 0, skipped: 1 });
  });

  it('streams a .npy larger than --max-file-size a batch at a time (never read whole), as the engine scores it', async () => {
    const { source, target } = folders();
    const count = 300;
    const many = new Float32Array(count * 784);
    for (let r = 0; r < count; r += 1)
      many.set(digits.subarray((r % 10) * 784, ((r % 10) + 1) * 784), r * 784);
    writeFileSync(join(source, 'many.npy'), encodeNpy(many, [count, 28, 28]));
    const fs = createFsDriver({ root: source });
    // A source whose whole-object read refuses .npy files: only its stream can score them.
    const streamOnly: BucketDriver = {
      ...fs,
      get: async (key) => {
        if (key.endsWith('.npy')) throw new Error(`${key} was read whole`);
        return fs.get(key);
      },
    };
    const report = await job(source, target, { source: streamOnly, batchSize: 64, maxFileBytes: 100_000 });
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: count });
    const predictions = parseNpy(readFileSync(join(target, 'many.npy')), 'out');
    expect(predictions.shape).toEqual([count, 10]);
    const want = await engineOn(many, count);
    closeTo(predictions.data, want.out.data);
    const classes = parseNpy(readFileSync(join(target, 'many.classes.npy')), 'classes');
    expect(Array.from(classes.data)).toEqual(want.classes);
  });

  it('reads every dtype, little- and big-endian, with or without the channel axis, as the same numbers', async () => {
    const { source, target } = folders();
    const floats = Array.from(digits.subarray(0, 2 * 784));
    const pixels = floats.map((v) => Math.round(v * 255));
    const small = pixels.map((v) => v >> 1); // fits int8
    const cases: [string, number[], number[]][] = [
      ['<f4', [2, 28, 28, 1], floats],
      ['>f4', [2, 28, 28], floats],
      ['<f8', [2, 28, 28], floats],
      ['>f8', [2, 28, 28, 1], floats],
      ['|u1', [2, 28, 28], pixels],
      ['|i1', [2, 28, 28], small],
      ['<i2', [2, 28, 28], pixels],
      ['>u2', [2, 28, 28], pixels],
      ['<i4', [2, 28, 28], pixels],
      ['>u4', [2, 28, 28], pixels],
      ['<i8', [2, 28, 28], pixels],
      ['>i8', [2, 28, 28], pixels],
      ['|b1', [2, 28, 28], pixels.map((v) => (v > 0 ? 1 : 0))],
    ];
    for (const [i, [descr, shape, values]] of cases.entries()) {
      writeFileSync(join(source, `a${i}.npy`), npy(descr, shape, values));
    }
    const report = await job(source, target, { formats: { outputFormat: 'json' } });
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ scored: cases.length, records: 2 * cases.length });
    for (const [i, [descr, , values]] of cases.entries()) {
      const out = JSON.parse(readFileSync(join(target, `a${i}.npy.json`), 'utf8'))[`a${i}.npy`];
      expect(out.fields, descr).toEqual(['prediction', 'prediction_classes', 'probability']);
      const want = await engineOn(Float32Array.from(values), 2);
      closeTo(
        out.values.flatMap((row: number[][]) => row[0]),
        want.out.data,
      );
      expect(
        out.values.map((row: unknown[]) => row[1]),
        descr,
      ).toEqual(want.classes);
    }
  });

  it('fails a Fortran-order, wrong-dtype, wrong-shape or truncated .npy alone, naming file and problem', async () => {
    const { source, target } = folders();
    const one = Array.from(digits.subarray(0, 784));
    writeFileSync(join(source, 'ok.npy'), npy('<f4', [28, 28, 1], one));
    writeFileSync(join(source, 'fortran.npy'), npy('<f4', [1, 28, 28], one, true));
    writeFileSync(join(source, 'complex.npy'), npy('<c8', [1, 28, 28], []));
    writeFileSync(join(source, 'shape.npy'), npy('<f4', [2, 27, 28], new Array(2 * 27 * 28).fill(0)));
    writeFileSync(join(source, 'short.npy'), npy('<f4', [3, 28, 28], one));
    writeFileSync(join(source, 'text.npy'), 'not numpy');
    const report = await job(source, target);
    expect(report.counts).toMatchObject({ scored: 1, failed: 5, records: 1 });
    const failures = Object.fromEntries(report.failures.map((f) => [f.file, `${f.code}: ${f.reason}`]));
    expect(failures['fortran.npy']).toMatch(
      /^INPUT_NPY_INVALID: fortran\.npy: the array is in Fortran order/,
    );
    expect(failures['complex.npy']).toMatch(/^INPUT_NPY_DTYPE: complex\.npy: dtype "<c8" is not read/);
    expect(failures['shape.npy']).toMatch(
      /^INPUT_WRONG_SHAPE: shape\.npy has shape \(2, 27, 28\) \(<f4\), but the model input \S+ takes \(None, 28, 28, 1\)/,
    );
    expect(failures['short.npy']).toMatch(
      /declares shape \(3, 28, 28\) of <f4: 9408 bytes, but 3136 follow \(truncated\)/,
    );
    expect(failures['text.npy']).toMatch(/not a \.npy file/);
    expect(parseNpy(readFileSync(join(target, 'ok.npy')), 'ok').shape).toEqual([1, 10]);
  });

  it('reads .npz arrays by --npz-array or the only one, and fails a zip bomb .npz whole', async () => {
    const { source, target } = folders();
    const x = encodeNpy(digits.subarray(0, 3 * 784), [3, 28, 28, 1]);
    const other = encodeNpy(new Float32Array(4), [4]);
    writeFileSync(join(source, 'pair.npz'), zipSync({ 'x.npy': x, 'other.npy': other }));
    writeFileSync(join(source, 'only.npz'), zipSync({ 'pixels.npy': x }, { level: 6 }));
    writeFileSync(
      join(source, 'bomb.npz'),
      zipSync({ 'x.npy': new Uint8Array(8 * 1024 * 1024) }, { level: 9 }),
    );
    const report = await job(source, target, { maxFileBytes: 1024 * 1024, formats: { npzArrays: ['x'] } });
    expect(report.counts).toMatchObject({ scored: 1, failed: 2, records: 3 });
    const failures = Object.fromEntries(report.failures.map((f) => [f.file, f.reason]));
    expect(failures['only.npz']).toMatch(/only\.npz has no array "x" \(it holds pixels\)/);
    expect(failures['bomb.npz']).toMatch(/bomb\.npz.*(too large|more than 1048576 bytes)/);
    const want = await engineOn(digits.subarray(0, 3 * 784), 3);
    closeTo(parseNpy(readFileSync(join(target, 'pair.npy')), 'pair').data, want.out.data);
    const unnamed = folders();
    writeFileSync(join(unnamed.source, 'only.npz'), zipSync({ 'pixels.npy': x }, { level: 6 }));
    writeFileSync(join(unnamed.source, 'pair.npz'), zipSync({ 'x.npy': x, 'other.npy': other }));
    const second = await job(unnamed.source, unnamed.target);
    expect(second.counts).toMatchObject({ scored: 1, failed: 1 });
    expect(second.failures[0].reason).toMatch(
      /pair\.npz holds the arrays x, other; name the ones the model reads/,
    );
    expect(Array.from(parseNpy(readFileSync(join(unnamed.target, 'only.classes.npy')), 'c').data)).toEqual(
      want.classes,
    );
  });
});
