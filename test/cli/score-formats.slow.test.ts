import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleInputs, exampleModel } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';

let work: string;
let source: string;
const values = exampleInputs().map((t) => JSON.stringify(JSON.parse(t).values));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kb-cli-formats-'));
  source = join(work, 'in');
  mkdirSync(source);
  writeFileSync(join(source, 'img1.json'), exampleInputs()[0]);
  writeFileSync(join(source, 'bad.json'), '{"values": [1, 2]}');
  const lines = Array.from({ length: 20 }, (_, i) => `{"key": "r${i}", "values": ${values[i % 10]}}`);
  writeFileSync(join(source, 'rows.jsonl'), `${lines.join('\n')}\nnot json\n`);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('score with input formats (CLI)', () => {
  it('--dry-run N lists the source by format, scores N inputs and N records per file, and writes nothing', async () => {
    const target = join(work, 'dry-out');
    const r = await runCli([
      'score',
      '-m',
      exampleModel,
      '-s',
      source,
      '-t',
      target,
      '--dry-run',
      '3',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(3); // bad.json fails its shape check
    const summary = JSON.parse(r.stdout);
    expect(summary.inputs).toBe(3);
    expect(summary.byFormat).toMatchObject({ json: { files: 2 }, jsonl: { files: 1 } });
    expect(summary.sampled).toBe(3);
    // 1 seed record + the first 3 lines of rows.jsonl.
    expect(summary.report.counts).toMatchObject({ records: 4, failed: 1 });
    expect(summary.report.failures[0]).toMatchObject({ file: 'bad.json', stage: 'validate' });
    expect(summary.sample.text).toMatch(/"fields": \["prediction", "prediction_classes", "probability"\]/);
    expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
    const text = await runCli(['score', '-m', exampleModel, '-s', source, '-t', target, '--dry-run']);
    expect(text.stdout).toMatch(
      /source: 3 input file\(s\): 2 json .*1 jsonl|source: 3 input file\(s\): 1 jsonl .*2 json/,
    );
    expect(text.stdout).toMatch(/estimate for the 2 seed file\(s\)/);
  });

  it('--id-field and --input-format pass through; a bad line fails alone with exit code 3', async () => {
    const target = join(work, 'out');
    const r = await runCli([
      'score',
      '-m',
      exampleModel,
      '-s',
      source,
      '-t',
      target,
      '--id-field',
      'key',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/rows\.jsonl:21 \[parse\] line 21: not valid JSON/);
    const out = readFileSync(join(target, 'rows.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((l) => l.id ?? l.line)).toEqual([...Array.from({ length: 20 }, (_, i) => `r${i}`), 21]);
    const seedOnly = await runCli([
      'score',
      '-m',
      exampleModel,
      '-s',
      source,
      '-t',
      join(work, 'o2'),
      '--input-format',
      'json',
      '-q',
    ]);
    expect(seedOnly.stdout).toMatch(/rows\.jsonl \[list\] not an input file/);
    const wrong = await runCli([
      'score',
      '-m',
      exampleModel,
      '-s',
      source,
      '-t',
      join(work, 'o3'),
      '--input-format',
      'parquet',
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/parquet/);
  });
});
