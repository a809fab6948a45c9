/**
 * A large JSON Lines (and CSV) file split into byte-range parts (`--split-size`) over two `keras-batch worker` processes
 * on a real redis-server: every part a shard any worker takes, the output joined into the one file byte for
 * byte a local run's (bad and blank lines keep their line numbers), counted once; and the same when a worker is
 * killed in the middle of a part (the part is scored again by another worker, the file still joined once).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import type { DistributedReport } from '../../src/queue/index.js';
import { exampleInputs, exampleModel, FS_TEMP_PREFIX } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const values = exampleInputs().map((text) => JSON.stringify(JSON.parse(text).values));
const LINES = 900;
const SPLIT = 200 * 1024;

describe('a large JSON Lines file split by byte range over queue workers', () => {
  let redis: TestRedis;
  let workers: WorkerProcess[] = [];
  let dir: string;
  let size = 0;
  let local: { report: JobReport; big: string; small: string };
  const score = async (target: string, args: string[]) => {
    const run = await runCli([
      ...['score', '--model', exampleModel, '--source', join(dir, 'in'), '--target', join(dir, target)],
      ...['--json', '--batch-size', '32', ...args],
    ]);
    return { ...run, report: JSON.parse(run.stdout) as DistributedReport & JobReport };
  };
  const where = (rep: JobReport) => rep.failures.map((f) => `${f.file}:${f.line ?? ''}:${f.code}`).sort();
  const files = async (root: string): Promise<string[]> => {
    if (!existsSync(root)) return [];
    return (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);
  };

  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kb-split-redis-'));
    await mkdir(join(dir, 'in'));
    const lines: string[] = [];
    for (let i = 0; i < LINES; i += 1) {
      if (i === 10 || i === 500) lines.push('');
      else if (i === 400) lines.push('{"values": [1, 2');
      else if (i === 777) lines.push('not json at all');
      else lines.push(`{"values": ${values[i % 10]}}`);
    }
    const big = `${lines.join('\n')}\n`;
    size = Buffer.byteLength(big);
    await writeFile(join(dir, 'in', 'big.jsonl'), big);
    await writeFile(join(dir, 'in', 'small.jsonl'), `{"values": ${values[3]}}\n{"values": ${values[4]}}\n`);
    const run = await score('out-local', []);
    expect(run.code).toBe(3);
    local = {
      report: run.report,
      big: await readFile(join(dir, 'out-local', 'big.jsonl'), 'utf8'),
      small: await readFile(join(dir, 'out-local', 'small.jsonl'), 'utf8'),
    };
    expect(local.big.trimEnd().split('\n')).toHaveLength(LINES - 2); // blank lines have no output line
    expect(where(local.report)).toEqual(['big.jsonl:401:INPUT_NOT_JSON', 'big.jsonl:778:INPUT_NOT_JSON']);
    workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("scores the parts on both workers and joins them into the local run's output, counted once", async () => {
    const parts = Math.ceil(size / SPLIT);
    expect(parts).toBeGreaterThanOrEqual(8);
    const dist = await score('out-redis', ['--redis', redis.url, '--split-size', `${SPLIT}`]);
    expect(dist.code, dist.stderr).toBe(3);
    const r = dist.report;
    expect(r.counts).toMatchObject({
      listed: 2,
      scored: 2,
      failed: 0,
      records: local.report.counts.records,
      failedRecords: 2,
    });
    expect(r.shards).toBe(parts + 1);
    expect(r.workers).toHaveLength(2);
    expect(where(r)).toEqual(where(local.report));
    expect(await readFile(join(dir, 'out-redis', 'big.jsonl'), 'utf8')).toBe(local.big);
    expect(await readFile(join(dir, 'out-redis', 'small.jsonl'), 'utf8')).toBe(local.small);
    expect(await files(join(dir, 'out-redis', '_keras-batch', 'parts'))).toEqual([]);
  }, 180_000);

  it('a worker killed in the middle of a part: the part is scored again elsewhere, the file joined once', async () => {
    const [victim, other] = workers;
    const before = victim.logs().split('"msg":"shard done"').length;
    const running = score('out-kill', ['--redis', redis.url, '--split-size', `${SPLIT}`]);
    // Right after its first part here the victim takes the next one (parts are waiting): kill it then.
    const deadline = Date.now() + 120_000;
    while (victim.logs().split('"msg":"shard done"').length === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 30));
    await victim.kill();
    workers = [other, await startWorker(redis.url)];
    const dist = await running;
    expect(dist.code, dist.stderr).toBe(3);
    const r = dist.report;
    expect(r.retriedShards).toBeGreaterThanOrEqual(1);
    expect(r.counts).toMatchObject({
      listed: 2,
      scored: 2,
      failed: 0,
      records: local.report.counts.records,
      failedRecords: 2,
    });
    expect(where(r)).toEqual(where(local.report));
    expect(await readFile(join(dir, 'out-kill', 'big.jsonl'), 'utf8')).toBe(local.big);
    // No part object is left (a worker killed mid-write may leave a temp file, never an object).
    const left = await files(join(dir, 'out-kill', '_keras-batch', 'parts'));
    expect(left.filter((name) => !name.startsWith(FS_TEMP_PREFIX))).toEqual([]);
  }, 240_000);

  it('CSV files split the same way: plain rows in every part; from a multi-line quoted field, one part reads on', async () => {
    const header = `id,${Array.from({ length: 784 }, (_, i) => `p${i}`).join(',')}`;
    const table = (quoted: boolean) => {
      const rows = Array.from({ length: 300 }, (_, i) => {
        const flat = JSON.parse(values[i % 10]).flat(3) as number[];
        if (i === 50) return `r${i},${flat.slice(1).join(',')}`; // ragged: fails alone
        if (i === 100) return '';
        if (quoted && i === 220) return `"r${i}\nsecond line",${flat.join(',')}`;
        return `${quoted && i % 7 === 0 ? `"r,${i}"` : `r${i}`},${flat.join(',')}`;
      });
      return `${header}\n${rows.join('\n')}\n`;
    };
    await mkdir(join(dir, 'in-csv'));
    await writeFile(join(dir, 'in-csv', 'plain.csv'), table(false));
    await writeFile(join(dir, 'in-csv', 'quoted.csv'), table(true));
    const run = (target: string, args: string[]) =>
      runCli([
        ...['score', '--model', exampleModel, '--source', join(dir, 'in-csv'), '--target', join(dir, target)],
        ...['--json', '--batch-size', '32', '--id-column', 'id', ...args],
      ]).then((r) => ({ ...r, report: JSON.parse(r.stdout) as DistributedReport & JobReport }));
    const local = await run('csv-local', []);
    expect(local.code, local.stderr).toBe(3);
    expect(where(local.report)).toEqual(['plain.csv:52:INPUT_CSV_RAGGED', 'quoted.csv:52:INPUT_CSV_RAGGED']);
    const dist = await run('csv-redis', ['--redis', redis.url, '--split-size', `${SPLIT}`]);
    expect(dist.code, dist.stderr).toBe(3);
    const [plain, quoted] = await Promise.all(
      ['plain.csv', 'quoted.csv'].map((f) => readFile(join(dir, 'in-csv', f))),
    );
    const plainParts = Math.ceil(plain.length / SPLIT);
    expect(plainParts).toBeGreaterThanOrEqual(3);
    // The quoted file is cut only before its row 220 (a quoted id holding a line break), at least once.
    expect(quoted.indexOf('"r220\n')).toBeGreaterThan(SPLIT);
    expect(dist.report.shards).toBeGreaterThanOrEqual(plainParts + 2);
    expect(dist.report.shards).toBeLessThan(plainParts + Math.ceil(quoted.length / SPLIT));
    expect(dist.report.counts).toMatchObject({
      listed: 2,
      scored: 2,
      failed: 0,
      records: local.report.counts.records,
      failedRecords: 2,
    });
    expect(where(dist.report)).toEqual(where(local.report));
    for (const name of ['plain.csv', 'quoted.csv']) {
      const want = await readFile(join(dir, 'csv-local', name), 'utf8');
      expect(want.split('\n')[0]).toMatch(/^id,prediction_0,/);
      expect(await readFile(join(dir, 'csv-redis', name), 'utf8'), name).toBe(want);
    }
    expect(await files(join(dir, 'csv-redis', '_keras-batch', 'parts'))).toEqual([]);
  }, 180_000);

  it('--resume skips a split file already joined from the same version, counted once', async () => {
    const again = await score('out-redis', ['--redis', redis.url, '--split-size', `${SPLIT}`, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.report.counts).toMatchObject({ listed: 2, scored: 0, skipped: 2, failed: 0 });
    expect(await readFile(join(dir, 'out-redis', 'big.jsonl'), 'utf8')).toBe(local.big);
  }, 180_000);
});
