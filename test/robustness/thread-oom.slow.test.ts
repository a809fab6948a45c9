/**
 * One input that exhausts a file-I/O thread's heap (10⁶ strings for a text model, records-per-file raised, the
 * io-thread-heap limit at 16 MiB) next to 30 normal files, through the real CLI and a real `serve`: that file
 * fails alone with "the file-I/O thread ran out of memory … io-thread-heap", the others are scored, the
 * process lives and answers, the counts add up. Before, a thread's death sent its files to the job's thread.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  type JobServer,
  jobFailures,
  startDeploymentJob,
  startJobServer,
  waitJob,
} from '../helpers/serve-job.js';
import { repoRoot } from '../helpers/shared.js';

const MODEL = join(repoRoot, 'fixtures', 'models', 'text_classifier.keras');
const SMALL = 30;
const LIMITS = ['--limit', 'records-per-file=1000000', '--limit', 'io-thread-heap=16MiB'];

interface Report {
  counts: { total: number; scored: number; failed: number; skipped: number; records: number };
  failures: { file: string; stage: string; code: string; reason: string }[];
}

function expectOutOfMemory(failure: { file: string; code: string; reason: string }) {
  expect(failure.file).toBe('big.json');
  expect(failure.code).toBe('IO_THREAD_OUT_OF_MEMORY');
  expect(failure.reason).toContain("'big.json': the file-I/O thread ran out of memory");
  expect(failure.reason).toContain('io-thread-heap=16 MiB');
  expect(failure.reason).toContain('--limit io-thread-heap=<value>');
}

describe('robustness: a file that exhausts a file-I/O thread fails alone', () => {
  let work: string;
  const files = () => join(work, 'files');
  const servers: JobServer[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'kb-thread-oom-'));
    mkdirSync(join(files(), 'in'), { recursive: true });
    const rows = Array.from({ length: 1_000_000 }, (_, i) => JSON.stringify(`good movie ${i}`));
    writeFileSync(join(files(), 'in', 'big.json'), `{"values": [${rows.join(', ')}]}`);
    for (let i = 0; i < SMALL; i += 1)
      writeFileSync(join(files(), 'in', `s${i}.json`), JSON.stringify({ values: `a fine film ${i}` }));
  });

  afterAll(async () => {
    for (const s of servers) await s.server.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('through the CLI: that file failed naming the limit, the others scored, exit 3', async () => {
    const target = join(files(), 'out-cli');
    const res = await runCli(
      [
        'score',
        '-m',
        MODEL,
        '-s',
        join(files(), 'in'),
        '-t',
        target,
        '-q',
        '--json',
        '--io-threads',
        '2',
      ].concat(LIMITS),
    );
    expect(res.signal).toBeNull();
    expect(res.code).toBe(3);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.counts).toMatchObject({
      total: SMALL + 1,
      scored: SMALL,
      failed: 1,
      skipped: 0,
      records: SMALL,
    });
    expect(report.failures).toHaveLength(1);
    expectOutOfMemory(report.failures[0]);
    const written = readdirSync(target).filter((f) => f.endsWith('.json'));
    expect(written.sort()).toEqual(Array.from({ length: SMALL }, (_, i) => `s${i}.json`).sort());
  }, 180_000);

  it('through a real serve: the job completes with that file failed, the server alive', async () => {
    const s = await startJobServer(join(work, 'data'), files(), LIMITS);
    servers.push(s);
    const jobId = await startDeploymentJob(s, {
      model: MODEL,
      name: 'texts',
      files: files(),
      source: 'in',
      target: 'out-serve',
    });
    const job = await waitJob(s, jobId, 150_000);
    expect(s.server.child.exitCode).toBeNull();
    expect(job.status).toBe('completed');
    expect(job.counts).toMatchObject({
      total: SMALL + 1,
      scored: SMALL,
      failed: 1,
      skipped: 0,
      records: SMALL,
    });
    const failures = await jobFailures(s, jobId);
    expect(failures).toHaveLength(1);
    expectOutOfMemory(failures[0]);
    expect((await fetch(`${s.server.url}/health`)).status).toBe(200);
    expect(readdirSync(join(files(), 'out-serve')).filter((f) => f.endsWith('.json'))).toHaveLength(SMALL);
  }, 200_000);
});
