/**
 * Distributed batch jobs over BullMQ on a real redis-server (started by the test on a free port): three
 * `keras-batch worker` processes score a 10,000-file job coordinated by `keras-batch score --redis`, one worker
 * SIGKILLed mid-job, Redis itself crashed and restarted mid-job, and a bad model. The CLI runs from source.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DistributedReport, redisOptions, SHARD_QUEUE } from '../../src/queue/index.js';
import {
  checkOutput,
  countFolderOutputs,
  exampleInputs,
  exampleModel,
  FS_TEMP_PREFIX,
  mapLimit,
  range,
  walkNames,
  writeFiles,
} from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { repoRoot } from '../helpers/shared.js';

const FILES = 10_000;
const inputs = exampleInputs();
const inputName = (i: number) => `img${String(i).padStart(5, '0')}.json`;

let redis: TestRedis;
let dir: string;
let source: string;
const workers: ChildProcess[] = [];
const workerLogs = new Map<ChildProcess, string>();
/** Reference prediction of each example input (from the local runner). */
let reference: number[][] = [];

function startWorker(): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src', 'cli', 'entry.ts'),
      'worker',
      '--redis',
      redis.url,
      '--threads',
      '1',
      '--lock-duration',
      '4000',
      '--log-level',
      'warn',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  workerLogs.set(child, '');
  child.stderr?.on('data', (d) => workerLogs.set(child, (workerLogs.get(child) ?? '') + d));
  child.stdout?.on('data', () => undefined);
  workers.push(child);
  return child;
}

const kill = async (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await gone;
};

/** Runs the coordinator; calls `during(outputs)` every 200 ms with the number of outputs written so far. */
async function coordinate(
  target: string,
  during?: (outputs: number) => Promise<void>,
  args: string[] = [],
): Promise<{ code: number | null; report: DistributedReport | null; stderr: string }> {
  let running = true;
  const watcher = (async () => {
    while (running && during) {
      await during(await countFolderOutputs(target));
      await sleep(200);
    }
  })();
  const result = await runCli([
    'score',
    '--model',
    exampleModel,
    '--source',
    source,
    '--target',
    target,
    '--redis',
    redis.url,
    '--shard-size',
    '250',
    '--json',
    ...args,
  ]);
  running = false;
  await watcher;
  let report: DistributedReport | null = null;
  try {
    report = JSON.parse(result.stdout) as DistributedReport;
  } catch {
    report = null;
  }
  return { code: result.code, report, stderr: result.stderr };
}

/** Exactly one whole output per input, each the prediction its input gives locally; the report adds up. */
async function checkTarget(target: string, report: DistributedReport | null) {
  // A worker killed mid-write can leave a temp file (never an output: outputs are renamed into place whole).
  const names = (await walkNames(target)).filter(
    (n) => !n.startsWith('_keras-batch/') && !n.startsWith(FS_TEMP_PREFIX),
  );
  expect(names.length).toBe(FILES);
  expect(new Set(names)).toEqual(new Set(range(FILES).map(inputName)));
  await mapLimit(range(FILES), 32, async (i) => {
    const key = inputName(i);
    const text = await readFile(join(target, key), 'utf8');
    checkOutput(key, text);
    const values = (JSON.parse(text) as Record<string, { values: [number[]] }>)[key].values[0];
    const want = reference[i % inputs.length];
    for (let c = 0; c < 10; c += 1) expect(Math.abs(values[c] - want[c])).toBeLessThan(1e-5);
  });
  expect(report).not.toBeNull();
  const r = report as DistributedReport;
  expect(r.status).toBe('completed');
  expect(r.counts).toMatchObject({ listed: FILES, scored: FILES, failed: 0, skipped: 0, total: FILES });
  expect(r.shards).toBe(FILES / 250);
  const saved = JSON.parse(await readFile(join(target, r.reportKey as string), 'utf8')) as DistributedReport;
  expect(saved.counts.scored).toBe(FILES);
}

describe('distributed batch jobs (BullMQ on a real redis-server)', () => {
  beforeAll(async () => {
    redis = await startTestRedis({ persistent: true });
    dir = await mkdtemp(join(tmpdir(), 'kb-queue-'));
    source = join(dir, 'in');
    await writeFiles(source, FILES, inputName, (i) => inputs[i % inputs.length]);
    for (let w = 0; w < 3; w += 1) startWorker();
    const refDir = join(dir, 'ref-in');
    await writeFiles(
      refDir,
      inputs.length,
      (i) => `r${i}.json`,
      (i) => inputs[i],
    );
    const local = await runCli([
      'score',
      '--model',
      exampleModel,
      '--source',
      refDir,
      '--target',
      join(dir, 'ref-out'),
      '-q',
    ]);
    expect(local.code).toBe(0);
    reference = await Promise.all(
      range(inputs.length).map(async (i) => {
        const text = await readFile(join(dir, 'ref-out', `r${i}.json`), 'utf8');
        return (JSON.parse(text) as Record<string, { values: [number[]] }>)[`r${i}.json`].values[0];
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => kill(w, 'SIGKILL')));
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores 10,000 files over 3 workers: one output per input, counts that add up', async () => {
    const target = join(dir, 'out-plain');
    const run = await coordinate(target);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await checkTarget(target, run.report);
    expect(run.report?.workers.length).toBeGreaterThanOrEqual(2);
  }, 240_000);

  it('finishes with nothing lost or duplicated when a worker is SIGKILLed mid-job', async () => {
    const target = join(dir, 'out-kill');
    const victim = workers[0];
    let killed = false;
    const run = await coordinate(target, async (outputs) => {
      if (!killed && outputs >= 2500) {
        killed = true;
        await kill(victim, 'SIGKILL');
      }
    });
    expect(killed).toBe(true);
    expect(run.code).toBe(0);
    await checkTarget(target, run.report);
    startWorker(); // three again for the next test
  }, 240_000);

  it('reconnects and finishes when Redis crashes and restarts mid-job (same port, same AOF data)', async () => {
    const target = join(dir, 'out-outage');
    let crashed = false;
    const run = await coordinate(target, async (outputs) => {
      if (!crashed && outputs >= 2500) {
        crashed = true;
        await redis.crash();
        await sleep(3000);
        await redis.start();
      }
    });
    expect(crashed).toBe(true);
    expect(run.code).toBe(0);
    await checkTarget(target, run.report);
  }, 240_000);

  it('cancel (SIGINT to the coordinator) stops enqueuing and removes the waiting shards', async () => {
    const target = join(dir, 'out-cancel');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'src', 'cli', 'entry.ts'),
        'score',
        ...['--model', exampleModel, '--source', source, '--target', target],
        ...['--redis', redis.url, '--shard-size', '250', '--json'],
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', () => undefined);
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    while ((await countFolderOutputs(target)) < 1000) await sleep(100);
    child.kill('SIGINT');
    expect(await code).toBe(3);
    const report = JSON.parse(stdout) as DistributedReport;
    expect(report.status).toBe('canceled');
    const queue = new Queue(SHARD_QUEUE, { connection: redisOptions(redis.url) });
    try {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized');
      expect([counts.waiting, counts.delayed, counts.prioritized]).toEqual([0, 0, 0]);
    } finally {
      await queue.close();
    }
    await sleep(2500); // shards taken before the cancel finish; nothing new starts
    const settled = await countFolderOutputs(target);
    await sleep(1500);
    expect(await countFolderOutputs(target)).toBe(settled);
    expect(settled).toBeLessThan(FILES);
  }, 60_000);

  it('fails the job once with a clear reason when the workers cannot load the model', async () => {
    const bad = join(dir, 'bad-model.h5');
    await writeFile(bad, 'not an HDF5 file at all');
    const target = join(dir, 'out-bad');
    const result = await runCli([
      'score',
      '--model',
      bad,
      '--source',
      source,
      '--target',
      target,
      '--redis',
      redis.url,
      '--shard-size',
      '250',
      '--max-queued-shards',
      '8',
    ]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: \[queue\] job \S+ failed: the model bad-model\.h5 cannot be loaded: /);
    expect(await countFolderOutputs(target)).toBe(0);
  }, 60_000);
});
