/**
 * Input formats (issue 13), all in one run: the same MNIST records scored by the compiled CLI as seed files (one
 * JSON per record, folder to folder) and as one JSON Lines file, against the engine's own rate on pre-parsed
 * tensors (2 threads); a CSV of 20 feature columns through a small MLP against the same engine ceiling; and the
 * obvious Python (pandas `read_json(lines=True)` / `read_csv` + Keras batched predict) on each file. Targets:
 * JSON Lines >= 70% of the engine's records/s with peak memory < 400 MiB; CSV >= 200,000 rows/s.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputFile } from '../../src/scoring/index.js';
import { imageBench } from '../batch/image-formats.js';
import { writeInputs } from '../batch/inputs.js';
import { buildCli, type CliRun, runScore } from '../batch/run-cli.js';
import {
  buildMlp,
  engineRate,
  type PythonRun,
  pythonFormats,
  pythonWithPandas,
  writeCsv,
  writeJsonl,
} from '../formats/record-files.js';
import type { BenchContext, Suite, SuiteResult, TargetResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (n: number | null) => (n === null ? '?' : String(Math.round(n)));
const pct = (a: number, b: number) => `${fmt((100 * a) / b)}%`;

interface Sizes {
  files: number;
  jsonl: number;
  csv: number;
  pyJsonl: number;
  pyCsv: number;
}

const FULL: Sizes = { files: 10_000, jsonl: 1_000_000, csv: 1_000_000, pyJsonl: 20_000, pyCsv: 1_000_000 };
const QUICK: Sizes = { files: 2_000, jsonl: 50_000, csv: 200_000, pyJsonl: 5_000, pyCsv: 200_000 };

export const formatsSuite: Suite = {
  name: 'formats',
  description:
    'seed files vs one JSON Lines file vs the engine (MNIST CNN); a CSV through a small MLP; pandas + Keras',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const size = ctx.options.quick ? QUICK : FULL;
    const ms = ctx.options.quick ? 2_000 : 6_000;
    const cnn = join(ctx.repoRoot, 'examples', 'models', 'mnist-cnn.keras');
    const work = mkdtempSync(join(tmpdir(), 'kb-bench-formats-'));
    const notes: string[] = [];
    const rows: string[][] = [];
    const targets: TargetResult[] = [];
    const data: Record<string, unknown> = {};
    try {
      buildCli(ctx.repoRoot);
      const python = await pythonWithPandas(ctx, notes);
      const seedIn = join(work, 'seed-in');
      ctx.log(`writing ${size.files} seed files and a JSON Lines file of ${size.jsonl} records`);
      const origin = writeInputs(ctx.sharedDir, seedIn, size.files);
      const jsonlIn = join(work, 'jsonl-in');
      mkdirSync(jsonlIn);
      const jsonlFile = join(jsonlIn, 'mnist.jsonl');
      await writeJsonl(seedIn, jsonlFile, size.jsonl);
      const sample = readInputFile(readFileSync(join(seedIn, 'img0.json')), [
        { name: 'x', shape: [null, 28, 28, 1] },
      ]).tensors[0];
      if (!('data' in sample)) throw new Error('a numeric MNIST record is expected');
      const common = ['--model', cnn, '--threads', '2'];
      ctx.log('engine on pre-parsed tensors (MNIST CNN)');
      const engine = await engineRate(cnn, sample.data, ms);
      ctx.log('seed files, folder to folder');
      const seed = await runScore(ctx.repoRoot, [
        ...common,
        '--source',
        seedIn,
        '--target',
        join(work, 'o1'),
      ]);
      ctx.log(`JSON Lines, one file of ${size.jsonl} records`);
      const jsonl = await runScore(ctx.repoRoot, [
        ...common,
        '--source',
        jsonlIn,
        '--target',
        join(work, 'o2'),
      ]);
      rmSync(join(work, 'o2'), { recursive: true, force: true });
      let pyJsonl: PythonRun | null = null;
      if (python) {
        ctx.log(`pandas read_json(lines=True) + Keras predict, first ${size.pyJsonl} records`);
        pyJsonl = await pythonFormats(ctx, python, [
          'jsonl',
          cnn,
          jsonlFile,
          join(work, 'py.jsonl'),
          String(size.pyJsonl),
        ]);
      }
      rmSync(jsonlIn, { recursive: true, force: true });
      const jsonlRate = jsonl.report.recordsPerSecond;
      rows.push(
        ['MNIST CNN: engine, pre-parsed tensors (2 threads)', fmt(engine), '100%', '-', '-'],
        [
          'seed files folder to folder',
          fmt(seed.report.recordsPerSecond),
          pct(seed.report.recordsPerSecond, engine),
          mib(seed.peakMiB),
          '-',
        ],
        [
          `one JSON Lines file (${fmt(size.jsonl)} records)`,
          fmt(jsonlRate),
          pct(jsonlRate, engine),
          mib(jsonl.peakMiB),
          '-',
        ],
      );
      if (pyJsonl) {
        rows.push([
          `pandas read_json + Keras (${fmt(pyJsonl.records)} records)`,
          fmt(pyJsonl.recordsPerSecond),
          pct(pyJsonl.recordsPerSecond, engine),
          mib(pyJsonl.peakMiB),
          `ours ${(jsonlRate / pyJsonl.recordsPerSecond).toFixed(1)}x`,
        ]);
      }
      const ratio = jsonlRate / engine;
      targets.push(
        {
          name: 'JSON Lines >= 70% of the engine on pre-parsed tensors',
          measured: `${(100 * ratio).toFixed(0)}%`,
          pass: ratio >= 0.7,
        },
        {
          name: 'JSON Lines peak memory < 400 MiB',
          measured: `${mib(jsonl.peakMiB)} MiB`,
          pass: jsonl.peakMiB === null ? null : jsonl.peakMiB < 400,
        },
      );
      Object.assign(data, {
        engine,
        seed: seed.report.recordsPerSecond,
        jsonl: jsonlRate,
        seedPeakMiB: seed.peakMiB,
        jsonlPeakMiB: jsonl.peakMiB,
        pythonJsonl: pyJsonl,
      });
      const csv = python ? await csvCase(ctx, python, work, size, ms, rows) : null;
      if (!csv) notes.push('CSV case skipped: its MLP is built with Keras in .venv');
      else {
        data.csv = csv;
        targets.push({
          name: 'CSV (1,000,000 rows x 20 columns in the full run) >= 200,000 rows/s',
          measured: `${fmt(csv.ours.report.recordsPerSecond)} rows/s`,
          pass: csv.ours.report.recordsPerSecond >= 200_000,
        });
      }
      const images = await imageBench(ctx, work, cnn);
      notes.push(...images.notes);
      data.images = images.data;
      targets.push(...images.targets);
      notes.push(
        `inputs: ${origin}; ${size.files} seed files, ${size.jsonl} JSON Lines records, ${size.csv} CSV rows`,
      );
      return {
        lines: [
          ...formatTable(['case', 'records/s', 'of engine', 'peak MiB', 'vs Python'], rows),
          '',
          ...formatTable(['images', 'files/s', 'of engine', 'vs Python', 'peak MiB'], images.rows),
        ],
        data,
        targets,
        notes,
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/** The CSV case: its engine ceiling, ours (the compiled CLI), pandas + Keras; rows added to the table. */
async function csvCase(
  ctx: BenchContext,
  python: string,
  work: string,
  size: Sizes,
  ms: number,
  rows: string[][],
): Promise<{ engine: number; ours: CliRun; python: PythonRun }> {
  const mlp = join(work, 'mlp20.keras');
  ctx.log(`building the MLP; writing a CSV of ${size.csv} rows x 20 columns`);
  await buildMlp(ctx, python, mlp);
  const csvIn = join(work, 'csv-in');
  mkdirSync(csvIn);
  const csvFile = join(csvIn, 'features.csv');
  await writeCsv(csvFile, size.csv, 20);
  const record = new Float32Array(20).map((_, i) => (i % 7) / 7 - 0.4);
  ctx.log('engine on pre-parsed tensors (MLP)');
  const engine = await engineRate(mlp, record, ms);
  ctx.log('CSV, one file');
  const ours = await runScore(ctx.repoRoot, [
    ...['--model', mlp, '--threads', '2', '--id-column', 'id'],
    ...['--source', csvIn, '--target', join(work, 'o3')],
  ]);
  ctx.log(`pandas read_csv + Keras predict, first ${size.pyCsv} rows`);
  const py = await pythonFormats(ctx, python, [
    'csv',
    mlp,
    csvFile,
    join(work, 'py.csv'),
    String(size.pyCsv),
    'id',
  ]);
  const rate = ours.report.recordsPerSecond;
  rows.push(
    ['MLP 20-64-32-3: engine, pre-parsed tensors (2 threads)', fmt(engine), '100%', '-', '-'],
    [
      `one CSV file (${fmt(size.csv)} rows x 20 columns)`,
      fmt(rate),
      pct(rate, engine),
      mib(ours.peakMiB),
      '-',
    ],
    [
      `pandas read_csv + Keras (${fmt(py.records)} rows)`,
      fmt(py.recordsPerSecond),
      pct(py.recordsPerSecond, engine),
      mib(py.peakMiB),
      `ours ${(rate / py.recordsPerSecond).toFixed(1)}x`,
    ],
  );
  return { engine, ours, python: py };
}
