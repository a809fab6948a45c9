import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/shared.js';
import { formatJobs } from './format-jobs.js';

/** A small model with one input of 5 numbers and two outputs (5 and 4 values). */
const modelPath = join(repoRoot, 'fixtures', 'models', 'hard_sigmoid.keras');
const jobs = formatJobs(modelPath);
const { folders, job } = jobs;

const rowValues = (i: number) => [0, 1, 2, 3, 4].map((k) => Math.round(Math.sin(i * 5 + k) * 3000) / 1000);

/** The engine's outputs for rows `rows` fed as one batch. */
async function expected(rows: number[][]) {
  const data = new Float32Array(rows.flat());
  return jobs.model().engine.predict([{ data, dims: [rows.length, 5] }]);
}

const HEADER = [
  ...[0, 1, 2, 3, 4].map((i) => `prediction_0_${i}`),
  'prediction_class_0',
  ...[0, 1, 2, 3].map((i) => `prediction_1_${i}`),
  'prediction_class_1',
  'error',
];

function argmax(values: ArrayLike<number>) {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if (values[i] > values[best]) best = i;
  return best;
}

describe('CSV inputs', () => {
  it('scores each row of the selected columns, writing the id then the predictions, as the engine does', async () => {
    const { source, target } = folders();
    const rows = Array.from({ length: 300 }, (_, i) => rowValues(i));
    const csv = ['key,a,b,c,d,e', ...rows.map((r, i) => `k${i},${r.join(',')}`)].join('\n');
    writeFileSync(join(source, 'data.csv'), `${csv}\n`);
    const report = await job(source, target, { batchSize: 64, formats: { idColumn: 'key' } });
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ scored: 1, records: 300 });
    const out = parse(readFileSync(join(target, 'data.csv'))) as string[][];
    expect(out[0]).toEqual(['key', ...HEADER]);
    const [first, second] = await expected(rows);
    for (let i = 0; i < 300; i += 1) {
      const cells = out[i + 1];
      expect(cells[0]).toBe(`k${i}`);
      for (let k = 0; k < 5; k += 1) expect(Number(cells[1 + k])).toBeCloseTo(first.data[i * 5 + k], 6);
      expect(Number(cells[6])).toBe(argmax(first.data.subarray(i * 5, i * 5 + 5)));
      for (let k = 0; k < 4; k += 1) expect(Number(cells[7 + k])).toBeCloseTo(second.data[i * 4 + k], 6);
      expect(Number(cells[11])).toBe(argmax(second.data.subarray(i * 4, i * 4 + 4)));
      expect(cells[12]).toBe('');
    }
  });

  it('takes --columns in their order, joins every input column, reads TSV, and quotes fields', async () => {
    const { source, target } = folders();
    const rows = [rowValues(1), rowValues(2)];
    const lines = [
      'note\te\td\tc\tb\ta\textra',
      ...rows.map((r, i) => `n "${i}", x\t${[...r].reverse().join('\t')}\t9`),
    ];
    writeFileSync(join(source, 't.tsv'), `${lines.join('\n')}\n`);
    const report = await job(source, target, {
      formats: { columns: ['a', 'b', 'c', 'd', 'e'], join: 'input' },
    });
    expect(report.counts).toMatchObject({ scored: 1, records: 2, failed: 0 });
    const out = parse(readFileSync(join(target, 't.tsv')), {
      delimiter: '\t',
      relax_quotes: true,
    }) as string[][];
    expect(out[0]).toEqual(['note', 'e', 'd', 'c', 'b', 'a', 'extra', ...HEADER]);
    const [first] = await expected(rows);
    expect(out[1][0]).toBe('n "0", x');
    expect(Number(out[2][7])).toBeCloseTo(first.data[5], 6);
  });

  it('fails a ragged row, a cell that is not a number and bad quoting alone, with file and row', async () => {
    const { source, target } = folders();
    const good = (i: number) => rowValues(i).join(',');
    const lines = ['a,b,c,d,e', good(0), '1,2,3', good(1), '1,2,x,4,5', '1,"2,3,4,5', good(2)];
    writeFileSync(join(source, 'bad.csv'), `${lines.join('\n')}\n`);
    const report = await job(source, target);
    expect(report.status).toBe('completed_with_failures');
    expect(report.counts.records).toBeGreaterThanOrEqual(2);
    const byRow = report.failures.map((f) => [f.file, f.code, f.reason.split(':')[0]]);
    expect(byRow.slice(0, 2)).toEqual([
      ['bad.csv', 'INPUT_CSV_RAGGED', 'row 2'],
      ['bad.csv', 'INPUT_NOT_NUMERIC', 'row 4'],
    ]);
    expect(report.failures[0]).toMatchObject({ line: 3, stage: 'parse' });
    expect(report.failures[0].reason).toMatch(/the row has 3 fields, the header 5/);
    expect(report.failures[1].reason).toMatch(/column "c" is not a number: "x"/);
    const out = parse(readFileSync(join(target, 'bad.csv')), { relax_column_count: true }) as string[][];
    expect(out[1][0]).toBe('1');
    expect(out[2][0]).toBe('2');
    expect(out[2].at(-1)).toMatch(/^INPUT_CSV_RAGGED: /);
    expect(out[3][12]).toBe('');
  });

  it('writes JSON Lines with --output-format jsonl, and fails a file whose columns do not fit the model', async () => {
    const { source, target } = folders();
    writeFileSync(join(source, 'x.csv'), `id,a,b,c,d,e\nr1,${rowValues(3).join(',')}\n`);
    writeFileSync(join(source, 'wrong.csv'), 'id,a,b,c\nr,1,2,3\n');
    const report = await job(source, target, { formats: { outputFormat: 'jsonl', idColumn: 'id' } });
    expect(report.counts).toMatchObject({ scored: 1, failed: 1 });
    expect(report.failures[0]).toMatchObject({
      file: 'wrong.csv',
      code: 'INPUT_CSV_COLUMNS',
      stage: 'parse',
    });
    expect(report.failures[0].reason).toMatch(/takes records of shape \[5\].*but 3 column\(s\) are selected/);
    const [line] = readFileSync(join(target, 'x.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(line.id).toBe('r1');
    const [first, second] = await expected([rowValues(3)]);
    expect(line.values[0][0][2]).toBeCloseTo(first.data[2], 6);
    expect(line.values[0][1][3]).toBeCloseTo(second.data[3], 6);
  });
});
