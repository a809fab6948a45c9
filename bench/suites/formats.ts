/**
 * Input formats (issue 13): the same MNIST records scored by the compiled CLI as seed files (one JSON per
 * record, folder to folder) and as one JSON Lines file, against the engine's own rate on pre-parsed tensors
 * (2 threads), all in one run. Target: JSON Lines >= 70% of the engine's records/s, peak memory < 400 MiB.
 */

import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/engine/open-model.js';
import { readInputFile } from '../../src/scoring/index.js';
import { imageBench } from '../batch/image-formats.js';
import { writeInputs } from '../batch/inputs.js';
import { buildCli, runScore } from '../batch/run-cli.js';
import type { BenchContext, Suite, SuiteResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Records/s of `predict` on one pre-parsed batch of 256, repeated for about `ms`. */
async function engineRate(model: string, sample: Uint8Array, ms: number): Promise<number> {
  const opened = await openModel(model, { threads: 2 });
  try {
    const one = readInputFile(sample, opened.engine.inputs).tensors[0];
    if ('strings' in one) throw new Error('a numeric model is expected');
    const data = new Float32Array(256 * one.data.length);
    for (let i = 0; i < 256; i += 1) data.set(one.data, i * one.data.length);
    const tensors = [{ data, dims: [256, ...one.dims.slice(1)] }];
    await opened.engine.predict(tensors);
    let records = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      await opened.engine.predict(tensors);
      records += 256;
    }
    return (records * 1000) / (performance.now() - t0);
  } finally {
    await opened.engine.dispose();
  }
}

/** One JSON Lines file of `count` records made of the seed files' texts, one per line. */
async function writeJsonl(from: string, path: string, count: number): Promise<void> {
  const lines = readdirSync(from)
    .slice(0, 1000)
    .map(
      (n) =>
        `${readFileSync(join(from, n), 'utf8')
          .replace(/\s*\n\s*/g, ' ')
          .trim()}\n`,
    );
  const out = createWriteStream(path);
  for (let i = 0; i < count; i += 1) if (!out.write(lines[i % lines.length])) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

export const formatsSuite: Suite = {
  name: 'formats',
  description: 'seed files vs one JSON Lines file vs the engine on pre-parsed tensors (MNIST CNN)',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const quick = ctx.options.quick;
    const files = quick ? 2_000 : 10_000;
    const records = quick ? 20_000 : 200_000;
    const model = join(ctx.repoRoot, 'examples', 'models', 'mnist-cnn.keras');
    const work = mkdtempSync(join(tmpdir(), 'kb-bench-formats-'));
    const notes: string[] = [];
    try {
      buildCli(ctx.repoRoot);
      const seedIn = join(work, 'seed-in');
      ctx.log(`writing ${files} seed files and a JSON Lines file of ${records} records`);
      const origin = writeInputs(ctx.sharedDir, seedIn, files);
      const jsonlIn = join(work, 'jsonl-in');
      mkdirSync(jsonlIn);
      await writeJsonl(seedIn, join(jsonlIn, 'mnist.jsonl'), records);
      const common = ['--model', model, '--threads', '2'];
      ctx.log('engine on pre-parsed tensors');
      const engine = await engineRate(model, readFileSync(join(seedIn, 'img0.json')), quick ? 2_000 : 6_000);
      ctx.log('seed files, folder to folder');
      const seed = await runScore(ctx.repoRoot, [
        ...common,
        '--source',
        seedIn,
        '--target',
        join(work, 'seed-out'),
      ]);
      ctx.log('JSON Lines, one file');
      const jsonl = await runScore(ctx.repoRoot, [
        ...common,
        '--source',
        jsonlIn,
        '--target',
        join(work, 'jsonl-out'),
      ]);
      const rows = [
        ['engine, pre-parsed tensors (2 threads)', fmt(engine), '100%', '-'],
        [
          'seed files folder to folder',
          fmt(seed.report.recordsPerSecond),
          `${fmt((100 * seed.report.recordsPerSecond) / engine)}%`,
          String(seed.peakMiB === null ? '?' : Math.round(seed.peakMiB)),
        ],
        [
          'one JSON Lines file',
          fmt(jsonl.report.recordsPerSecond),
          `${fmt((100 * jsonl.report.recordsPerSecond) / engine)}%`,
          String(jsonl.peakMiB === null ? '?' : Math.round(jsonl.peakMiB)),
        ],
      ];
      const images = await imageBench(ctx, work, model);
      notes.push(...images.notes);
      const ratio = jsonl.report.recordsPerSecond / engine;
      notes.push(`inputs: ${origin}; ${files} seed files, ${records} JSON Lines records`);
      return {
        lines: [
          ...formatTable(['case', 'records/s', 'of engine', 'peak MiB'], rows),
          '',
          ...formatTable(['images', 'files/s', 'of engine', 'vs Python', 'peak MiB'], images.rows),
        ],
        data: {
          engine,
          seed: seed.report.recordsPerSecond,
          jsonl: jsonl.report.recordsPerSecond,
          seedPeakMiB: seed.peakMiB,
          jsonlPeakMiB: jsonl.peakMiB,
          images: images.data,
        },
        targets: [
          {
            name: 'JSON Lines >= 70% of the engine on pre-parsed tensors',
            measured: `${(100 * ratio).toFixed(0)}%`,
            pass: ratio >= 0.7,
          },
          {
            name: 'JSON Lines peak memory < 400 MiB',
            measured: `${jsonl.peakMiB === null ? '?' : Math.round(jsonl.peakMiB)} MiB`,
            pass: jsonl.peakMiB === null ? null : jsonl.peakMiB < 400,
          },
          ...images.targets,
        ],
        notes,
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
