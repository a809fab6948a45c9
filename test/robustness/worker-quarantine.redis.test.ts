/**
 * A poison input on `serve --redis`: a real worker dies (SIGKILL, timed on the poison by
 * test/helpers/poison-killer.ts, as V8's out-of-memory abort did before large outputs were streamed) while a
 * 10⁶-record file that shares a shard with 80 normal files is in flight, and is restarted after each crash as a
 * supervisor would. The stalled shard's retry scores the others and tries the files in flight at the crash
 * alone; the poison kills the worker once more while alone; the next attempt fails it "crashed the worker;
 * skipped". The job completes: no restart loop, no "job stalled more than allowable limit", every other output
 * whole and once.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { killWhen, type PoisonMoment, poisonInFlight } from '../helpers/poison-killer.js';
import { kerasPython } from '../helpers/python-keras.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import {
  type JobServer,
  jobFailures,
  startDeploymentJob,
  startJobServer,
  waitJob,
} from '../helpers/serve-job.js';
import { startWorker, type WorkerProcess } from '../helpers/worker-process.js';

const run = promisify(execFile);
const python = kerasPython();
const suite = python || process.env.CI ? describe : describe.skip;
if (!python && !process.env.CI) console.warn('worker-quarantine: skipped, no .venv Python with h5py');

const SMALL = 40;
const LIMITS = ['--limit', 'records-per-file=1000000', '--limit', 'output-bytes-per-file=1GiB'];
const normalNames = () =>
  ['a', 'z'].flatMap((p) =>
    Array.from({ length: SMALL }, (_, i) => `${p}${String(i).padStart(3, '0')}.json`),
  );

suite('robustness: a poison input on serve --redis is isolated and quarantined', () => {
  let redis: TestRedis;
  let work: string;
  let s: JobServer | null = null;
  const workers: WorkerProcess[] = [];
  const files = () => join(work, 'files');
  const model = () => join(work, 'dense.h5');

  beforeAll(async () => {
    redis = await startTestRedis();
    work = mkdtempSync(join(tmpdir(), 'kb-worker-quarantine-'));
    await run(python ?? 'python3', [
      join(import.meta.dirname, 'hostile_fixtures.py'),
      'h5-dense',
      model(),
      '10',
    ]);
    mkdirSync(join(files(), 'in'), { recursive: true });
    const rows = new Array<string>(1_000_000).fill('[0.5, 0.25, 0.125, 1.0]');
    writeFileSync(join(files(), 'in', 'm-poison.json'), `{"values": [${rows.join(', ')}]}`);
    for (const name of normalNames()) writeFileSync(join(files(), 'in', name), '{"values": [[1, 2, 3, 4]]}');
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.kill().catch(() => undefined);
    await s?.server.kill();
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the worker crashes twice at most, then the job completes without the poison', async () => {
    const dataDir = join(work, 'data');
    s = await startJobServer(dataDir, files(), ['--redis', redis.url, '--shard-size', '200', ...LIMITS]);
    const moments: (PoisonMoment | null)[] = ['claimed', 'alone', null];
    let crashes = 0;
    const kill: { current: ReturnType<typeof killWhen> | null } = { current: null };
    const worker = async () => {
      const started = await startWorker(redis.url, ['--data-dir', dataDir, ...LIMITS]);
      const moment = moments[crashes];
      kill.current?.stop();
      kill.current = moment
        ? killWhen(poisonInFlight(join(files(), 'out'), 'm-poison.json', moment), () =>
            started.child.kill('SIGKILL'),
          )
        : null;
      return started;
    };
    let current = await worker();
    workers.push(current);
    const jobId = await startDeploymentJob(s, {
      model: model(),
      name: 'dense',
      files: files(),
      source: 'in',
      target: 'out',
    });
    let job: JobView | null = null;
    const deadline = Date.now() + 400_000;
    while (Date.now() < deadline) {
      job = await waitJob(s as JobServer, jobId, 2_000);
      if (['completed', 'failed', 'canceled'].includes(job.status)) break;
      if (current.child.exitCode !== null || current.child.signalCode !== null) {
        crashes += 1;
        expect(crashes, 'the worker keeps crashing: a restart loop').toBeLessThanOrEqual(2);
        current = await worker();
        workers.push(current);
      }
    }
    kill.current?.stop();
    console.log(
      `poison on serve --redis: ${crashes} worker crash(es), then ${job?.status} ${JSON.stringify(job?.counts)}`,
    );
    expect(job?.status).toBe('completed');
    expect(crashes).toBeGreaterThanOrEqual(1);
    expect(job?.counts).toMatchObject({ total: 2 * SMALL + 1, scored: 2 * SMALL, failed: 1, skipped: 0 });
    const failures = await jobFailures(s as JobServer, jobId);
    expect(failures.map((f) => [f.file, f.code])).toEqual([['m-poison.json', 'CRASHED_WORKER']]);
    expect(failures[0].reason).toMatch(/^crashed the worker; skipped/);
    const names = readdirSync(join(files(), 'out')).filter((n) => n !== '_keras-batch');
    expect(names.sort()).toEqual(normalNames().sort());
    for (const name of names)
      expect(Object.keys(JSON.parse(readFileSync(join(files(), 'out', name), 'utf8')))).toEqual([name]);
  }, 600_000);
});
