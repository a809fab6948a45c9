/**
 * Record files (JSON Lines, CSV, zips of seed files) through `score --redis` and two `keras-batch worker`
 * processes on a real redis-server: each file a shard of its own, outputs byte-identical to a local run, a bad
 * line or row failing alone (counted, listed with its file and line, in the report and `--max-failures`), and
 * a resumed job skipping the files already scored.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import type { DistributedReport } from '../../src/queue/index.js';
import { exampleInputs, exampleModel } from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const inputs = exampleInputs();
const values = inputs.map((text) => JSON.stringify(JSON.parse(text).values));

/** Every output file under a folder (the report folder aside), by relative name. */
async function outputs(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string, prefix: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === '_keras-batch') continue;
      if (e.isDirectory()) await walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out.set(`${prefix}${e.name}`, await readFile(join(dir, e.name), 'utf8'));
    }
  };
  await walk(root, '');
  return out;
}

describe('record files over queue workers', () => {
  let redis: TestRedis;
  let workers: WorkerProcess[] = [];
  let dir: string;
  const score = async (source: string, target: string, args: string[]) => {
    const run = await runCli([
      ...['score', '--model', exampleModel, '--source', join(dir, source), '--target', join(dir, target)],
      ...['--json', '--id-field', 'id', '--id-column', 'id', ...args],
    ]);
    return { ...run, report: JSON.parse(run.stdout) as DistributedReport & JobReport };
  };

  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kb-formats-redis-'));
    workers = await Promise.all([startWorker(redis.url), startWorker(redis.url)]);
    const src = join(dir, 'in');
    await mkdir(join(src, 'more'), { recursive: true });
    for (let f = 0; f < 3; f += 1) {
      const lines: string[] = [];
      for (let i = 0; i < 300; i += 1) {
        if (f === 1 && i === 123) lines.push('{"values": [1, 2');
        else if (f === 2 && i === 7) lines.push('');
        else lines.push(`{"id": "f${f}-${i}", "values": ${values[(i + f) % 10]}}`);
      }
      await writeFile(join(src, f === 2 ? 'more/c.jsonl' : `part${f}.jsonl`), `${lines.join('\n')}\n`);
    }
    const header = `id,${Array.from({ length: 784 }, (_, i) => `p${i}`).join(',')}`;
    const rows = Array.from({ length: 200 }, (_, i) => {
      const flat = JSON.parse(values[i % 10]).flat(3) as number[];
      return i === 50 ? `r${i},${flat.slice(1).join(',')}` : `r${i},${flat.join(',')}`;
    });
    await writeFile(join(src, 'table.csv'), `${header}\n${rows.join('\n')}\n`);
    const zip: Record<string, Uint8Array> = {};
    for (let i = 0; i < 12; i += 1) zip[`e${i}.json`] = Buffer.from(inputs[i % 10]);
    zip['bad.json'] = Buffer.from('{"values": [');
    await writeFile(join(src, 'entries.zip'), zipSync(zip));
    await writeFile(join(src, 'seed.json'), inputs[3]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('score JSON Lines, CSV and a zip through 2 workers exactly as a local run; bad lines fail alone', async () => {
    const local = await score('in', 'out-local', []);
    expect(local.code).toBe(3); // some records failed
    const dist = await score('in', 'out-redis', ['--redis', redis.url]);
    expect(dist.code).toBe(3);
    const r = dist.report;
    expect(r.failures.filter((f) => f.line === undefined && f.entry === undefined)).toEqual([]);
    expect(r.status).toBe('completed_with_failures');
    expect(r.counts).toMatchObject({
      listed: 6,
      scored: 6,
      failed: 0,
      records: local.report.counts.records,
      failedRecords: 3,
    });
    expect(r.shards).toBe(6); // each record file a shard of its own (the seed file too, alone here)
    expect(r.workers).toHaveLength(2);
    const where = (rep: JobReport) =>
      rep.failures.map((f) => `${f.file}:${f.line ?? f.entry}:${f.code}`).sort();
    expect(where(r)).toEqual(where(local.report));
    expect(where(r)).toEqual([
      'entries.zip:bad.json:INPUT_NOT_NUMERIC',
      'part1.jsonl:124:INPUT_NOT_JSON',
      'table.csv:52:INPUT_CSV_RAGGED',
    ]);
    const a = await outputs(join(dir, 'out-local'));
    const b = await outputs(join(dir, 'out-redis'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(b.size).toBe(3 + 1 + 12 + 1); // 3 JSON Lines, the CSV, 12 zip entries, the seed file
    for (const [key, text] of a) expect(b.get(key), key).toBe(text);
    const c = (b.get('more/c.jsonl') ?? '').trim().split('\n');
    expect(c).toHaveLength(299);
    expect(JSON.parse(c[0]).id).toBe('f2-0');
    const logs = workers.map((w) => w.logs()).join('');
    expect(logs).toContain('"msg":"shard done"');
  }, 120_000);

  it('--max-failures counts bad records; --resume skips the record files already scored', async () => {
    const stopped = await score('in', 'out-limit', ['--redis', redis.url, '--max-failures', '1']);
    expect(stopped.code).toBe(3);
    expect(stopped.report.status).toBe('stopped');
    expect(stopped.report.stoppedReason).toMatch(/more than --max-failures 1/);

    const before = await stat(join(dir, 'out-redis', 'part0.jsonl'));
    await writeFile(join(dir, 'in', 'part0.jsonl'), `{"id": "new", "values": ${values[4]}}\n`);
    const again = await score('in', 'out-redis', ['--redis', redis.url, '--resume']);
    expect(again.report.counts).toMatchObject({ listed: 6, scored: 1, skipped: 5, failed: 0 });
    const part0 = await readFile(join(dir, 'out-redis', 'part0.jsonl'), 'utf8');
    expect(part0.trim().split('\n')).toHaveLength(1);
    expect((await stat(join(dir, 'out-redis', 'more', 'c.jsonl'))).mtimeMs).toBeGreaterThan(0);
    expect((await stat(join(dir, 'out-redis', 'part0.jsonl'))).mtimeMs).toBeGreaterThan(before.mtimeMs);
  }, 120_000);
});
