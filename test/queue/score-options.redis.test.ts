/**
 * `score --redis` with `--max-failures` and `--resume`, on a real redis-server and a `keras-batch worker`
 * process: too many failures stop the job (no more shards, waiting ones removed, the report says why, counts
 * add up), and a resumed job leaves outputs written by the same model from the same inputs alone.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DistributedReport, redisOptions, SHARD_QUEUE } from '../../src/queue/index.js';
import { countFolderOutputs, exampleInputs, exampleModel, writeFiles } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const inputs = exampleInputs();
const name = (prefix: string) => (i: number) => `${prefix}${String(i).padStart(3, '0')}.json`;

describe('score --redis with --max-failures and --resume', () => {
  let redis: TestRedis;
  let worker: WorkerProcess;
  let dir: string;
  const score = async (source: string, target: string, args: string[]) => {
    const run = await runCli([
      ...['score', '--model', exampleModel, '--source', join(dir, source), '--target', join(dir, target)],
      ...['--redis', redis.url, '--shard-size', '50', '--json', ...args],
    ]);
    return { ...run, report: JSON.parse(run.stdout) as DistributedReport };
  };

  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kb-score-options-'));
    worker = await startWorker(redis.url);
  }, 60_000);
  afterAll(async () => {
    await worker?.kill();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--max-failures: stops enqueuing, removes waiting shards and says why; the counts add up', async () => {
    await writeFiles(join(dir, 'mixed'), 200, name('bad-'), () => '{"values": [[0.5,');
    await writeFiles(join(dir, 'mixed'), 400, name('img-'), (i) => inputs[i % 10]);
    const run = await score('mixed', 'out-limit', ['--max-failures', '20', '--max-queued-shards', '2']);
    expect(run.code).toBe(3);
    const r = run.report;
    expect(r.status).toBe('stopped');
    expect(r.stoppedReason).toMatch(/^\d+ inputs failed, more than --max-failures 20$/);
    expect(r.counts.failed).toBeGreaterThan(20);
    expect(r.counts.failed).toBeLessThan(200); // stopped after the first shards, not at the end
    expect(r.counts.total).toBe(r.counts.scored + r.counts.failed + r.counts.skipped);
    expect(r.counts.listed).toBe(r.counts.total); // removed shards count as never listed, as locally
    expect(r.failures).toHaveLength(r.counts.failed);
    expect(await countFolderOutputs(join(dir, 'out-limit'))).toBe(r.counts.scored);
    const queue = new Queue(SHARD_QUEUE, { connection: redisOptions(redis.url) });
    try {
      const left = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
      expect(left.filter((j) => j.data.jobId === r.jobId)).toEqual([]);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('--resume: outputs of the same model from the same inputs are skipped, changed and new inputs scored', async () => {
    await writeFiles(join(dir, 'good'), 300, name('img-'), (i) => inputs[i % 10]);
    const first = await score('good', 'out-resume', []);
    expect(first.code).toBe(0);
    expect(first.report.counts).toMatchObject({ scored: 300, skipped: 0 });
    const before = await stat(join(dir, 'out-resume', 'img-001.json'));

    await writeFiles(join(dir, 'good'), 60, name('new-'), (i) => inputs[i % 10]);
    await writeFile(join(dir, 'good', 'img-000.json'), inputs[1]); // another digit: a new input version
    const again = await score('good', 'out-resume', ['--resume']);
    expect(again.code).toBe(0);
    expect(again.report.counts).toMatchObject({ total: 360, scored: 61, failed: 0, skipped: 299 });
    expect(await countFolderOutputs(join(dir, 'out-resume'))).toBe(360);
    expect((await stat(join(dir, 'out-resume', 'img-001.json'))).mtimeMs).toBe(before.mtimeMs);
  }, 60_000);
});
