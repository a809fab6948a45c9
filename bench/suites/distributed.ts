/**
 * Distributed suite (`npm run bench -- --suite distributed`; not in the default run): the 10,000-file MNIST job
 * folder to folder, run by the local runner and by `score --redis` over 1, 2 and 4 `keras-batch worker`
 * processes of one core each (one engine thread, no file threads), and one worker with the defaults, on a real
 * redis-server. Files/s end to end and in the steady 10%–90%
 * window, and CPU per file of the workers, the coordinator and Redis (utime + stime from /proc/<pid>/stat).
 * Targets (issue 6): the queue adds < 5% CPU per file over the local runner; 2 workers >= 1.6x one (the pinned
 * 1- and 2-worker runs alternate over three rounds, the fastest of each kept).
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestRedis } from '../../test/helpers/redis-server.js';
import { writeInputs } from '../batch/inputs.js';
import { buildCli } from '../batch/run-cli.js';
import { exited, measuredScore, spawnCli } from '../distributed/processes.js';
import type { BenchContext, Suite, SuiteResult, TargetResult } from '../lib/suite.js';
import { formatTable } from '../lib/table.js';

const FILES = 10_000;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Row {
  runner: string;
  wallFilesPerSecond: number;
  /** From the job report: listing to last output, process start-up excluded. */
  jobFilesPerSecond: number;
  steadyFilesPerSecond: number;
  /** CPU µs per file in the steady window. */
  workerUs: number;
  coordinatorUs: number;
  redisUs: number;
}

const countOutputs = (dir: string) => async () => {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.kb-tmp-')).length;
  } catch {
    return 0;
  }
};

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const notes: string[] = [];
  // In memory (tmpfs) where there is one: this suite measures the queue, and on ext4 creating files within
  // minutes of mass deletions (the previous run's clean-up) costs several times the CPU, drowning the signal.
  const memoryDir = '/dev/shm';
  const base = existsSync(memoryDir) ? memoryDir : tmpdir();
  const work = mkdtempSync(join(base, 'kb-bench-dist-'));
  notes.push(`work folder on ${base === memoryDir ? 'tmpfs (/dev/shm)' : base}`);
  const model = join(ctx.repoRoot, 'examples', 'models', 'mnist-cnn.keras');
  const source = join(work, 'in');
  const origin = writeInputs(ctx.sharedDir, source, FILES);
  const warm = join(work, 'warm');
  writeInputs(ctx.sharedDir, warm, 400);
  notes.push(`inputs: ${FILES} seed-format files of ${origin}`);
  ctx.log('building the CLI (tsc)');
  buildCli(ctx.repoRoot);
  const redis = await startTestRedis();
  const rows: Row[] = [];
  /** 2 pinned workers' job files/s over 1 pinned worker's, in each alternated round. */
  const pairRatios: number[] = [];
  const perFile = (cpu: number, files: number) => (cpu * 1e6) / files;
  try {
    // One core's worth: one engine thread and no file threads (everything on the job's thread).
    const single = ['--threads', '1', '--io-threads', '0'];
    for (const [label, flags] of [
      ['local runner (1 engine thread, no file threads)', single],
      ['local runner (defaults: all cores, file threads)', []],
    ] as const) {
      const target = join(work, `local-${rows.length}`);
      ctx.log(label);
      const args = ['--model', model, '--source', source, '--target', target, ...flags];
      const m = await measuredScore(ctx.repoRoot, args, FILES, countOutputs(target), {});
      rows.push({
        runner: label,
        wallFilesPerSecond: FILES / m.wallSeconds,
        jobFilesPerSecond: m.jobFilesPerSecond,
        steadyFilesPerSecond: m.window.files / m.window.seconds,
        workerUs: perFile(m.window.cpu.self, m.window.files),
        coordinatorUs: 0,
        redisUs: 0,
      });
    }
    // Pinned workers (taskset) are one core each, as a one-worker-per-core deployment is: without pinning a
    // one-engine-thread worker still spreads its file system calls over libuv's pool on the other core.
    const cores = availableParallelism();
    let runs = 0;
    /** Starts `n` workers, warms them up, runs the job twice and keeps the faster run. */
    const measureWorkers = async (n: number, flags: readonly string[], pinned: boolean, label: string) => {
      ctx.log(label);
      const workers = Array.from({ length: n }, (_, i) =>
        spawnCli(
          ctx.repoRoot,
          ['worker', '--redis', redis.url, ...flags, '--log-level', 'warn'],
          pinned ? i % cores : undefined,
        ),
      );
      try {
        // Every worker loads the model on a warm-up job first: the measured job starts with warm workers.
        const warmTarget = join(work, `warm-${runs}`);
        const warmRun = spawnCli(ctx.repoRoot, [
          'score',
          ...['--model', model, '--source', warm, '--target', warmTarget],
          ...['--redis', redis.url, '--shard-size', '25', '--quiet', '--json'],
        ]);
        if ((await exited(warmRun.child)) !== 0)
          throw new Error(`warm-up failed: ${warmRun.output().slice(-400)}`);
        // Two measured jobs, the faster kept: one noisy moment on a shared 2-core machine should not decide.
        let m: Awaited<ReturnType<typeof measuredScore>> | null = null;
        for (let rep = 0; rep < 2; rep += 1) {
          const target = join(work, `dist-${runs}-${rep}`);
          const run = await measuredScore(
            ctx.repoRoot,
            ['--model', model, '--source', source, '--target', target, '--redis', redis.url],
            FILES,
            countOutputs(target),
            { workers: workers.map((w) => w.child.pid as number), redis: [redis.pid()] },
          );
          if (!m || run.jobFilesPerSecond > m.jobFilesPerSecond) m = run;
        }
        runs += 1;
        if (!m) throw new Error('no measured run');
        return {
          runner: label,
          wallFilesPerSecond: FILES / m.wallSeconds,
          jobFilesPerSecond: m.jobFilesPerSecond,
          steadyFilesPerSecond: m.window.files / m.window.seconds,
          workerUs: perFile(m.window.cpu.workers, m.window.files),
          coordinatorUs: perFile(m.window.cpu.self, m.window.files),
          redisUs: perFile(m.window.cpu.redis, m.window.files),
        };
      } finally {
        for (const w of workers) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => exited(w.child)));
      }
    };
    const fastest = (a: Row, b: Row) => (b.jobFilesPerSecond > a.jobFilesPerSecond ? b : a);
    // The scaling target's pair, alternated three times so a slow spell of this shared machine (host load moves
    // every rate here by up to 50% from one minute to the next) hits both alike; the fastest of each is kept.
    const onePinned = '1 worker pinned to 1 core (1 thread, no file threads)';
    const twoPinned = '2 workers pinned to 1 core each (1 thread, no file threads)';
    let one: Row | null = null;
    let two: Row | null = null;
    for (let rep = 0; rep < 3; rep += 1) {
      const a = await measureWorkers(1, single, true, `${onePinned}, round ${rep + 1} of 3`);
      const b = await measureWorkers(2, single, true, `${twoPinned}, round ${rep + 1} of 3`);
      pairRatios.push(b.jobFilesPerSecond / a.jobFilesPerSecond);
      one = one ? fastest(one, a) : a;
      two = two ? fastest(two, b) : b;
    }
    rows.push({ ...(one as Row), runner: onePinned }, { ...(two as Row), runner: twoPinned });
    const others: [number, readonly string[], string][] = [
      [1, single, '1 worker (1 thread, no file threads)'],
      [2, single, '2 workers (1 thread each, no file threads)'],
      [4, single, '4 workers (1 thread each, no file threads)'],
      [1, [], '1 worker (defaults: all cores, file threads)'],
    ];
    for (const [n, flags, label] of others) rows.push(await measureWorkers(n, flags, false, label));
  } finally {
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const lines = formatTable(
    [
      'runner',
      'files/s (wall)',
      'files/s (job)',
      'files/s (steady)',
      'worker µs/file',
      'coordinator µs/file',
      'Redis µs/file',
    ],
    rows.map((r) => [
      r.runner,
      fmt(r.wallFilesPerSecond),
      fmt(r.jobFilesPerSecond),
      fmt(r.steadyFilesPerSecond),
      fmt(r.workerUs),
      r.coordinatorUs ? fmt(r.coordinatorUs, 1) : '-',
      r.redisUs ? fmt(r.redisUs, 1) : '-',
    ]),
  );
  const local1 = rows[0];
  const one = rows.find((r) => r.runner.startsWith('1 worker pinned')) as Row;
  const two = rows.find((r) => r.runner.startsWith('2 workers pinned')) as Row;
  // The queue's own cost: what the coordinator and Redis spend per file, against what scoring a file costs.
  const queueUs = one.coordinatorUs + one.redisUs;
  const overhead = queueUs / local1.workerUs;
  const workerVsLocal = one.workerUs / local1.workerUs - 1;
  const targets: TargetResult[] = [
    {
      name: 'queue adds < 5% CPU per file over the local runner (coordinator + Redis vs local, one core)',
      measured: `${fmt(100 * overhead, 1)}% (${fmt(queueUs, 1)} vs ${fmt(local1.workerUs)} µs/file)`,
      pass: overhead < 0.05,
      note: `a worker itself spends ${fmt(100 * workerVsLocal, 0)}% vs the local runner (shared-machine noise)`,
    },
    {
      name: '2 workers (one core each: pinned, 1 engine thread, no file threads) >= 1.6x one such worker',
      measured: `${fmt(two.jobFilesPerSecond / one.jobFilesPerSecond, 2)}x (job files/s; steady window ${fmt(two.steadyFilesPerSecond / one.steadyFilesPerSecond, 2)}x)`,
      pass: two.jobFilesPerSecond / one.jobFilesPerSecond >= 1.6,
      note: `fastest of 3 alternated rounds each; per round ${pairRatios.map((r) => `${fmt(r, 2)}x`).join(', ')}; load average ${loadavg()[0].toFixed(1)} at the end`,
    },
  ];
  notes.push(
    'every process runs the compiled CLI (bin/keras-batch.js); CPU per file is measured in the 10%-90% window',
  );
  return { lines, data: rows, targets, notes };
}

export const distributedSuite: Suite = {
  name: 'distributed',
  description:
    '10,000-file MNIST job: local runner vs 1, 2, 4 BullMQ workers on Redis (files/s, CPU per file)',
  defaultRun: false,
  run,
};
