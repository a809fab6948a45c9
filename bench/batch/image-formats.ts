/**
 * The image cases of the `formats` suite (issue 13): 28×28 PNG digits through the MNIST CNN and 224×224 JPEGs
 * through a MobileNetV2 (alpha 0.35, random weights, built by fixtures/make_applications.py), each scored by the
 * compiled CLI folder to folder, against the engine's own rate on pre-decoded tensors (2 threads) and the
 * obvious Python script (bench/image_baseline.py: Pillow through keras.utils.load_img, batched predict).
 */

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { openModel } from '../../src/engine/open-model.js';
import type { BenchContext, TargetResult } from '../lib/suite.js';
import { runScore } from './run-cli.js';

const run = promisify(execFile);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** `count` 28×28 gray PNGs: the ten example digits, each copy with a few pixels changed. */
async function writePngs(repoRoot: string, dir: string, count: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const digits = Array.from({ length: 10 }, (_, i) => {
    const text = readFileSync(join(repoRoot, 'examples', 'input', `img${i + 1}.json`), 'utf8');
    return Uint8Array.from(JSON.parse(text).values.flat(4) as number[], (v) => Math.round(v * 255));
  });
  await pool(count, 8, async (i) => {
    const pixels = Uint8Array.from(digits[i % 10]);
    pixels[(i * 7) % 784] ^= 0x40;
    const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    await writeFile(join(dir, `d${i}.png`), png);
  });
}

/** `count` 224×224 RGB JPEGs (quality 90) of smooth gradients and noise, each different. */
async function writeJpegs(dir: string, count: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const side = 224;
  await pool(count, 4, async (i) => {
    const rgb = Buffer.alloc(side * side * 3);
    for (let y = 0; y < side; y += 1) {
      for (let x = 0; x < side; x += 1) {
        const o = (y * side + x) * 3;
        const n = ((x * 31 + y * 17 + i * 101) * 2654435761) >>> 24;
        rgb[o] = (x + i) & 255;
        rgb[o + 1] = (y * 2 + i * 3) & 255;
        rgb[o + 2] = (x + y + (n >> 3)) & 255;
      }
    }
    const jpeg = await sharp(rgb, { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    await writeFile(join(dir, `p${i}.jpg`), jpeg);
  });
}

/** Records/s of `predict` on one pre-decoded batch of `batch` records of the model's input, for about `ms`. */
async function engineRate(model: string, batch: number, ms: number): Promise<number> {
  const opened = await openModel(model, { threads: 2 });
  try {
    const dims = [batch, ...opened.engine.inputs[0].shape.slice(1).map((d) => d ?? 1)];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i += 1) data[i] = ((i * 2654435761) >>> 24) / 255;
    const tensors = [{ data, dims }];
    await opened.engine.predict(tensors);
    let records = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      await opened.engine.predict(tensors);
      records += batch;
    }
    return (records * 1000) / (performance.now() - t0);
  } finally {
    await opened.engine.dispose();
  }
}

/** Files/s of bench/image_baseline.py, or null (with a note) without the venv. */
async function pythonRate(ctx: BenchContext, args: string[], notes: string[]): Promise<number | null> {
  const python = ctx.options.python ?? join(ctx.repoRoot, '.venv', 'bin', 'python');
  try {
    const { stdout } = await run(python, [join(ctx.repoRoot, 'bench', 'image_baseline.py'), ...args], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
      maxBuffer: 16 << 20,
      timeout: 1_200_000,
    });
    const line = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { files: number; seconds: number };
    return line.files / line.seconds;
  } catch (error) {
    notes.push(`Python image baseline skipped: ${String(error).split('\n')[0]}`);
    return null;
  }
}

export interface ImageBench {
  rows: string[][];
  data: Record<string, number | null>;
  targets: TargetResult[];
  notes: string[];
}

/** Runs the image cases in `work` (a temp dir the suite removes). */
export async function imageBench(ctx: BenchContext, work: string, cnn: string): Promise<ImageBench> {
  const quick = ctx.options.quick;
  const pngs = quick ? 2_000 : 10_000;
  const jpegs = quick ? 400 : 2_000;
  const notes: string[] = [];
  const python = ctx.options.python ?? join(ctx.repoRoot, '.venv', 'bin', 'python');
  ctx.log(`images: writing ${pngs} PNGs and ${jpegs} JPEGs, building MobileNetV2 (alpha 0.35) at 224x224`);
  const pngIn = join(work, 'png-in');
  const jpgIn = join(work, 'jpg-in');
  await writePngs(ctx.repoRoot, pngIn, pngs);
  await writeJpegs(jpgIn, jpegs);
  const models = join(work, 'models');
  await run(
    python,
    [
      join(ctx.repoRoot, 'fixtures', 'make_applications.py'),
      models,
      '--only',
      'MobileNetV2',
      '--size',
      '224',
      '--frameworks',
      'k3',
    ],
    { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, maxBuffer: 64 << 20, timeout: 900_000 },
  );
  const mobilenet = join(models, 'MobileNetV2.keras');
  ctx.log('images: PNG digits, folder to folder');
  const scorePngs = (source: string, target: string) =>
    runScore(ctx.repoRoot, [
      ...['--model', cnn, '--threads', '2', '--scale', 'unit'],
      ...['--source', source, '--target', target],
    ]);
  const png = await scorePngs(pngIn, join(work, 'png-out'));
  // The same PNGs in memory (tmpfs), where the file system's state cannot decide: this ext4 volume creates files
  // several times slower for minutes after many were deleted anywhere on it (bench/batch/disk-probe.ts).
  let pngInMemory: number | null = null;
  if (existsSync('/dev/shm')) {
    const shm = mkdtempSync(join('/dev/shm', 'kb-bench-png-'));
    try {
      ctx.log('images: the PNGs again, in memory (tmpfs)');
      cpSync(pngIn, join(shm, 'in'), { recursive: true });
      pngInMemory = (await scorePngs(join(shm, 'in'), join(shm, 'out'))).report.filesPerSecond;
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  }
  ctx.log('images: MobileNetV2 on pre-decoded tensors, then the JPEGs folder to folder');
  // Before and after the job, averaged: a shared machine's load changes over a run.
  const engineBefore = await engineRate(mobilenet, 32, quick ? 4_000 : 10_000);
  const jpg = await runScore(ctx.repoRoot, [
    ...['--model', mobilenet, '--threads', '2', '--batch-size', '32', '--scale', 'unit'],
    ...['--source', jpgIn, '--target', join(work, 'jpg-out')],
  ]);
  const engineAfter = await engineRate(mobilenet, 32, quick ? 4_000 : 10_000);
  const engine = (engineBefore + engineAfter) / 2;
  notes.push(
    `MobileNetV2 engine rate before / after the JPEG job: ${fmt(engineBefore)} / ${fmt(engineAfter)} records/s`,
  );
  ctx.log('images: Python (Pillow + Keras batched predict)');
  const pyPng = await pythonRate(
    ctx,
    [cnn, pngIn, join(work, 'py-png-out'), 'grayscale', '255', '256'],
    notes,
  );
  const pyJpg = await pythonRate(
    ctx,
    [mobilenet, jpgIn, join(work, 'py-jpg-out'), 'rgb', '255', '32'],
    notes,
  );
  const pngRate = png.report.filesPerSecond;
  const jpgRate = jpg.report.filesPerSecond;
  const vs = (ours: number, py: number | null) => (py ? `${(ours / py).toFixed(1)}x` : '-');
  const peak = (r: typeof png) => (r.peakMiB === null ? '?' : String(Math.round(r.peakMiB)));
  const rows = [
    [`${pngs} 28x28 PNGs, MNIST CNN`, fmt(pngRate), '-', vs(pngRate, pyPng), peak(png)],
    ['  the same in memory (tmpfs)', pngInMemory ? fmt(pngInMemory) : 'skipped', '-', '-', '-'],
    ['  Python: load_img + batched predict', pyPng ? fmt(pyPng) : 'skipped', '-', '1.0x', '-'],
    ['MobileNetV2 a0.35 224², pre-decoded tensors', fmt(engine), '100%', '-', '-'],
    [
      `${jpegs} 224x224 JPEGs, MobileNetV2`,
      fmt(jpgRate),
      `${fmt((100 * jpgRate) / engine)}%`,
      vs(jpgRate, pyJpg),
      peak(jpg),
    ],
    ['  Python: load_img + batched predict', pyJpg ? fmt(pyJpg) : 'skipped', '-', '1.0x', '-'],
  ];
  return {
    rows,
    data: {
      pngFilesPerSecond: pngRate,
      pngInMemoryFilesPerSecond: pngInMemory,
      pythonPng: pyPng,
      mobilenetEngine: engine,
      jpegFilesPerSecond: jpgRate,
      pythonJpeg: pyJpg,
    },
    targets: [
      {
        name: '28x28 PNGs >= 4,000 files/s (in memory when /dev/shm exists: the disk cannot decide)',
        measured: `${fmt(pngInMemory ?? pngRate)} files/s`,
        pass: (pngInMemory ?? pngRate) >= 4000,
      },
      {
        name: '224x224 JPEGs through MobileNetV2 >= 80% of the engine on pre-decoded tensors',
        measured: `${((100 * jpgRate) / engine).toFixed(0)}%`,
        pass: jpgRate / engine >= 0.8,
      },
    ],
    notes,
  };
}
