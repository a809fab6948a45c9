import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { readInputFile } from '../../../src/scoring/index.js';
import { exampleInputs, exampleModel } from '../../helpers/batch-files.js';
import { formatJobs } from './format-jobs.js';

const jobs = formatJobs(exampleModel);
const { folders, job } = jobs;

/** The ten example digits: their `values` JSON text, and the engine's own outputs for each (fed alone). */
const digits: { values: string; prediction: number[] }[] = [];

beforeAll(async () => {
  for (const text of exampleInputs()) {
    const values = JSON.stringify(JSON.parse(text).values);
    const [out] = await jobs
      .model()
      .engine.predict(readInputFile(Buffer.from(text), jobs.model().engine.inputs).tensors);
    digits.push({ values, prediction: Array.from(out.data) });
  }
});

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l));

/** The engine's prediction for digit `d`, checked value by value against one output line. */
function expectDigit(line: { fields: string[]; values: unknown[] }, d: number) {
  expect(line.fields).toEqual(['prediction', 'prediction_classes', 'probability']);
  const [pred, cls, prob] = line.values as [number[], number, number[]];
  const want = digits[d].prediction;
  expect(pred).toHaveLength(want.length);
  for (let i = 0; i < want.length; i += 1) expect(pred[i]).toBeCloseTo(want[i], 5);
  expect(prob).toEqual(pred);
  expect(cls).toBe(want.indexOf(Math.max(...want)));
}

describe('JSON Lines inputs', () => {
  it('scores every line in order, in all three record shapes, matching the engine on the same tensors', async () => {
    const { source, target } = folders();
    const lines: string[] = [];
    for (let i = 0; i < 600; i += 1) {
      const d = i % 10;
      const shape = i % 3;
      if (shape === 0) lines.push(`{"values": ${digits[d].values}}`);
      else if (shape === 1) lines.push(digits[d].values);
      else lines.push(`{"${jobs.model().engine.inputs[0].name}": ${digits[d].values}, "other": [1, 2]}`);
    }
    writeFileSync(join(source, 'digits.jsonl'), `${lines.join('\n')}\n`);
    const report = await job(source, target, { batchSize: 64 });
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: 600 });
    const out = readLines(join(target, 'digits.jsonl'));
    expect(out).toHaveLength(600);
    out.forEach((line, i) => {
      expect(line.line).toBe(i + 1);
      expectDigit(line, i % 10);
    });
  });

  it('passes --id-field through, reads .ndjson.gz and writes the output without .gz', async () => {
    const { source, target } = folders();
    const lines = digits.map((d, i) => `{"key": "digit-${i}", "values": ${d.values}}`);
    writeFileSync(join(source, 'a.ndjson.gz'), gzipSync(`${lines.join('\r\n')}\r\n`));
    const report = await job(source, target, { formats: { idField: 'key' } });
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: 10 });
    const out = readLines(join(target, 'a.ndjson'));
    expect(out.map((l) => l.id)).toEqual(digits.map((_, i) => `digit-${i}`));
    for (const [i, line] of out.entries()) expectDigit(line, i);
  });

  it('fails a bad line alone, naming the file and line, and keeps its neighbours', async () => {
    const { source, target } = folders();
    const lines = [
      `{"values": ${digits[0].values}}`,
      '{"values": [1, 2, 3',
      `{"values": ${digits[1].values}}`,
      '{"values": [[1, 2], [3, 4]]}',
      '"just a string"',
      '',
      `{"values": [${digits[2].values.slice(1, -1)}, ${digits[3].values.slice(1, -1)}]}`,
      `{"no_values": 1}`,
      `{"values": ${digits[4].values}}`,
    ];
    writeFileSync(join(source, 'mixed.jsonl'), lines.join('\n'));
    const report = await job(source, target);
    expect(report.status).toBe('completed_with_failures');
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: 3, failedRecords: 5 });
    expect(report.failures.map((f) => [f.file, f.line, f.code])).toEqual([
      ['mixed.jsonl', 2, 'INPUT_NOT_JSON'],
      ['mixed.jsonl', 4, 'INPUT_WRONG_SHAPE'],
      ['mixed.jsonl', 5, 'INPUT_NOT_OBJECT'],
      ['mixed.jsonl', 7, 'INPUT_SEVERAL_RECORDS'],
      ['mixed.jsonl', 8, 'INPUT_NO_VALUES'],
    ]);
    expect(report.failures[0].reason).toMatch(/^line 2: not valid JSON/);
    expect(report.failures[1].stage).toBe('validate');
    const out = readLines(join(target, 'mixed.jsonl'));
    expect(out.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
    expectDigit(out[0], 0);
    expectDigit(out[2], 1);
    expectDigit(out[7], 4);
    expect(out[1].error.code).toBe('INPUT_NOT_JSON');
    const errors = readLines(join(target, report.reportKey?.replace('report.json', 'errors.jsonl') ?? ''));
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatchObject({ file: 'mixed.jsonl', line: 2 });
  });

  it('keeps the seed files of the same source byte-identical to a seed-only job', async () => {
    const both = folders();
    const alone = folders();
    for (const [i, text] of exampleInputs().entries()) {
      writeFileSync(join(both.source, `img${i}.json`), text);
      writeFileSync(join(alone.source, `img${i}.json`), text);
    }
    writeFileSync(join(both.source, 'more.jsonl'), `${digits[0].values}\n`);
    await job(both.source, both.target);
    await job(alone.source, alone.target, { formats: { inputFormat: 'json' } });
    for (let i = 0; i < 10; i += 1) {
      expect(readFileSync(join(both.target, `img${i}.json`), 'utf8')).toBe(
        readFileSync(join(alone.target, `img${i}.json`), 'utf8'),
      );
    }
    expect(readLines(join(both.target, 'more.jsonl'))).toHaveLength(1);
  });

  it('with --input-format json, a .jsonl file is not an input; --max-failures counts bad lines', async () => {
    const { source, target } = folders();
    writeFileSync(join(source, 'x.jsonl'), `${digits[0].values}\n`);
    const seedOnly = await job(source, target, { formats: { inputFormat: 'json' } });
    expect(seedOnly.failures[0]).toMatchObject({ file: 'x.jsonl', code: 'INPUT_NOT_AN_INPUT' });
    const bad = folders();
    writeFileSync(join(bad.source, 'a.jsonl'), 'nope\n'.repeat(5));
    writeFileSync(join(bad.source, 'b.jsonl'), `${digits[0].values}\n`);
    const stopped = await job(bad.source, bad.target, {
      maxFailures: { kind: 'count', value: 2 },
      concurrency: 1,
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.stoppedReason).toMatch(/5 inputs failed, more than --max-failures 2/);
  });

  it('resumes per file: an unchanged scored file is skipped, a changed one is scored again', async () => {
    const { source, target } = folders();
    writeFileSync(join(source, 'a.jsonl'), `${digits[0].values}\n`);
    writeFileSync(join(source, 'b.jsonl'), `${digits[1].values}\n`);
    const first = await job(source, target);
    expect(first.counts).toMatchObject({ scored: 2, skipped: 0 });
    writeFileSync(join(source, 'b.jsonl'), `${digits[1].values}\n${digits[2].values}\n`);
    const again = await job(source, target, { resume: true });
    expect(again.counts).toMatchObject({ scored: 1, skipped: 1, records: 2 });
    expect(readLines(join(target, 'b.jsonl'))).toHaveLength(2);
  });

  it('streams many small files a few at a time without stalling: partial batches still go', async () => {
    const { source, target } = folders();
    for (let f = 0; f < 40; f += 1) {
      const lines = Array.from({ length: 1 + (f % 3) }, (_, i) => digits[(f + i) % 10].values);
      writeFileSync(join(source, `f${f}.jsonl`), `${lines.join('\n')}\n`);
    }
    const report = await job(source, target, { concurrency: 2, batchSize: 64 });
    expect(report.counts).toMatchObject({ scored: 40, failed: 0, records: 79 });
    expect(readLines(join(target, 'f39.jsonl'))).toHaveLength(1 + (39 % 3));
    expectDigit(readLines(join(target, 'f39.jsonl'))[0], 9);
  });
});

describe('JSON Lines on the file threads', () => {
  it('gives a large file with scattered bad lines exactly the outputs and failures of the job thread', async () => {
    const made = folders();
    const lines: string[] = [];
    for (let i = 0; i < 1200; i += 1) {
      if (i % 97 === 5) lines.push('{"values": [1, 2');
      else if (i % 131 === 7) lines.push('');
      else lines.push(`{"id": ${i}, "values": ${digits[i % 10].values}}`);
    }
    writeFileSync(join(made.source, 'big.jsonl'), `${lines.join('\n')}\n`);
    expect(readFileSync(join(made.source, 'big.jsonl')).length).toBeGreaterThan(3 << 20); // several blocks
    const here = await job(made.source, made.target, { formats: { idField: 'id' } });
    const other = folders();
    const threaded = await job(made.source, other.target, {
      formats: { idField: 'id' },
      ioThreads: 2,
      parseOnThreads: true,
    });
    expect(threaded.counts).toEqual(here.counts);
    expect(threaded.failures).toEqual(here.failures);
    expect(here.failures.map((f) => f.line)).toEqual(
      lines.flatMap((l, i) => (l.startsWith('{"values": [1, 2') ? [i + 1] : [])),
    );
    const a = readFileSync(join(made.target, 'big.jsonl'), 'utf8');
    expect(readFileSync(join(other.target, 'big.jsonl'), 'utf8')).toBe(a);
    const out = readLines(join(other.target, 'big.jsonl'));
    expect(out).toHaveLength(lines.filter((l) => l).length);
    const line = out.find((l) => l.id === 1001);
    expectDigit(line, 1001 % 10);
  });
});
