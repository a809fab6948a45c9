/**
 * `score --redis --model <stored model>` on a real redis-server: the shards name the stored version (id and
 * sha256), so a worker on another machine reads the model from the repository; a worker without a repository
 * on the coordinator's machine reads the coordinator's temporary copy, which is removed when the job ends.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedReport } from '../../src/queue/index.js';
import {
  checkOutput,
  countFolderOutputs,
  exampleInputs,
  exampleModel,
  writeFiles,
} from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { monitorRedis, startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const inputs = exampleInputs();

/** The class real Keras predicted for example digit `i` (fixtures/goldens/example_mnist_cnn.json). */
function kerasClassOfExample(i: number): number {
  const golden = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', '..', 'fixtures', 'goldens', 'example_mnist_cnn.json'),
      'utf8',
    ),
  ) as { outputs: Record<string, { data: number[] }[]> };
  const row = golden.outputs['mnist-cnn.keras'][0].data.slice(i * 10, i * 10 + 10);
  return row.indexOf(Math.max(...row));
}

describe('score --redis --model <stored model>', () => {
  let redis: TestRedis;
  let dir: string;
  let dataDir: string;
  let version: { id: string; sha256: string };
  const workers: WorkerProcess[] = [];

  const score = async (target: string) => {
    const run = await runCli([
      ...['score', '--model', 'digits', '--data-dir', dataDir, '--source', join(dir, 'in')],
      ...['--target', join(dir, target), '--redis', redis.url, '--shard-size', '40', '--json'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as DistributedReport;
  };

  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kb-stored-model-'));
    dataDir = join(dir, 'data');
    const add = await runCli(['models', 'add', exampleModel, '--name', 'digits', '--data-dir', dataDir]);
    expect(add.code, add.stderr).toBe(0);
    const show = await runCli(['models', 'show', 'digits', '--data-dir', dataDir]);
    const versions = (JSON.parse(show.stdout) as { versions: { id: string; sha256: string }[] }).versions;
    version = versions[0];
    await writeFiles(
      join(dir, 'in'),
      120,
      (i) => `img-${i}.json`,
      (i) => inputs[i % 10],
    );
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shards carry the stored version; a worker elsewhere with the repository reads it from there', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'kb-other-machine-'));
    const worker = await startWorker(redis.url, ['--data-dir', dataDir], { cwd: elsewhere });
    workers.push(worker);
    const monitor = await monitorRedis(redis.url);
    const report = await score('out-repo');
    monitor.close();
    expect(report.counts).toMatchObject({ total: 120, scored: 120, failed: 0 });
    expect(await countFolderOutputs(join(dir, 'out-repo'))).toBe(120);
    const text = await readFile(join(dir, 'out-repo', 'img-3.json'), 'utf8');
    // img-3 is the fourth example digit: the class real Keras predicts for it (its golden).
    expect(checkOutput('img-3.json', text)).toBe(kerasClassOfExample(3));

    // Shards leave Redis once counted: their payloads are read from what Redis was sent.
    const sent = monitor.text().replace(/\\"/g, '"');
    expect(sent).toContain(`"versionId":"${version.id}"`);
    expect(sent).toContain(`"sha256":"${version.sha256}"`);
    expect(worker.logs()).toContain('"from":"repository"');
    expect(worker.logs()).not.toContain('"from":"file"');
    // The coordinator's temporary copy of the model is gone once the job ends.
    const copy = /"path":"([^"]*kb-model-[^"]*)"/.exec(sent)?.[1];
    expect(copy).toBeTruthy();
    expect(existsSync(copy as string)).toBe(false);
    await worker.stop();
    await rm(elsewhere, { recursive: true, force: true });
  }, 120_000);

  it('a worker without a repository on the same machine reads the coordinator copy', async () => {
    const worker = await startWorker(redis.url);
    workers.push(worker);
    const report = await score('out-copy');
    expect(report.counts).toMatchObject({ total: 120, scored: 120, failed: 0 });
    expect(await countFolderOutputs(join(dir, 'out-copy'))).toBe(120);
    expect(worker.logs()).toContain('"from":"file"');
    // Same model, same inputs: the same bytes as the repository-loaded run.
    for (const name of ['img-0.json', 'img-7.json'])
      expect(await readFile(join(dir, 'out-copy', name), 'utf8')).toBe(
        await readFile(join(dir, 'out-repo', name), 'utf8'),
      );
  }, 120_000);
});
