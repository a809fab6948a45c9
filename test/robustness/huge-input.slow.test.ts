/**
 * One 25 MB input file with 10⁶ records (its output ~386 MiB) through the real CLI: under the default budget it
 * fails alone with an error naming records-per-file and the job's summary adds up; with the limits raised it is
 * scored whole, its output streamed within a 256 MiB heap, the process alive throughout. The same file through a
 * real `serve` with a 256 MiB heap: the job completes with it scored, the server alive (before, building the
 * output as one string aborted the server, which crash-looped on restart). Files are made at test time.
 */
import { execFile } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { poisonInFlight } from '../helpers/poison-killer.js';
import { kerasPython } from '../helpers/python-keras.js';
import { type JobServer, startDeploymentJob, startJobServer, waitJob } from '../helpers/serve-job.js';

const run = promisify(execFile);
const python = kerasPython();
const suite = python || process.env.CI ? describe : describe.skip;
if (!python && !process.env.CI) console.warn('huge-input: skipped, no .venv Python with h5py');

suite('robustness: a 10⁶-record input file through the real CLI', () => {
  let work: string;
  const model = () => join(work, 'dense.h5');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-huge-input-'));
    await run(python ?? 'python3', [
      join(import.meta.dirname, 'hostile_fixtures.py'),
      'h5-dense',
      model(),
      '10',
    ]);
    mkdirSync(join(work, 'in'));
    const rows = new Array<string>(1_000_000).fill('[0.5, 0.25, 0.125, 1.0]');
    writeFileSync(join(work, 'in', 'big.json'), `{"values": [${rows.join(', ')}]}`);
    writeFileSync(join(work, 'in', 'small.json'), '{"values": [[1, 2, 3, 4]]}');
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('fails that file alone under the default budget, naming records-per-file; the summary adds up', async () => {
    const target = join(work, 'out-default');
    const res = await runCli(['score', '-m', model(), '-s', join(work, 'in'), '-t', target, '-q', '--json']);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(3); // some inputs failed
    const report = JSON.parse(res.stdout) as {
      counts: { listed: number; scored: number; failed: number; skipped: number };
      failures: { file: string; code: string; reason: string }[];
    };
    expect(report.counts.scored).toBe(1);
    expect(report.counts.failed).toBe(1);
    expect(report.counts.scored + report.counts.failed + report.counts.skipped).toBe(2);
    expect(report.failures[0].file).toBe('big.json');
    expect(report.failures[0].code).toBe('LIMIT_EXCEEDED');
    expect(report.failures[0].reason).toContain('1000000 is over the records-per-file limit of 100000');
    expect(report.failures[0].reason).toContain('--limit records-per-file=');
    expect(readdirSync(target)).not.toContain('big.json');
  }, 120_000);

  it('scores it whole with the limits raised, streaming its ~380 MiB output within a 256 MiB heap', async () => {
    const target = join(work, 'out-raised');
    // The output is streamed to the target as it is formatted: a heap smaller than the output is enough (before,
    // it was built as one string, and V8 aborted the process out of memory).
    const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256`.trim() };
    const res = await runCli(
      [
        'score',
        '-m',
        model(),
        '-s',
        join(work, 'in'),
        '-t',
        target,
        '-q',
        '--json',
        '--limit',
        'records-per-file=1000000',
        '--limit',
        'output-bytes-per-file=1GiB',
      ],
      { env },
    );
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as { counts: { scored: number; records: number } };
    expect(report.counts.scored).toBe(2);
    expect(report.counts.records).toBe(1_000_001);
    const size = statSync(join(target, 'big.json')).size;
    console.log(`10⁶-record file scored with limits raised: output ${(size / 2 ** 20).toFixed(0)} MiB`);
    expect(size).toBeGreaterThan(300 * 2 ** 20);
    // whole: the seed's shape from its first bytes to its last
    const fd = openSync(join(target, 'big.json'), 'r');
    const head = Buffer.alloc(120);
    const tail = Buffer.alloc(120);
    readSync(fd, head, 0, 120, 0);
    readSync(fd, tail, 0, 120, size - 120);
    closeSync(fd);
    expect(head.toString()).toMatch(
      /^\{"big\.json": \{"fields": \["prediction", "prediction_classes", "probability"\], "values": \[\[\[/,
    );
    expect(tail.toString()).toMatch(/\]\]\]\}\}$/);
  }, 300_000);

  it('through a real serve with a 256 MiB heap, SIGKILLed in the middle: after one restart it completes with it scored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kb-huge-input-data-')); // outside the served folder
    const args = ['--limit', 'records-per-file=1000000', '--limit', 'output-bytes-per-file=1GiB'];
    const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256`.trim() };
    const servers: JobServer[] = [];
    try {
      const first = await startJobServer(dataDir, work, args, undefined, env);
      servers.push(first);
      const inFlight = poisonInFlight(join(work, 'out-serve'), 'big.json', 'claimed');
      const jobId = await startDeploymentJob(first, {
        model: model(),
        name: 'dense',
        files: work,
        source: 'in',
        target: 'out-serve',
      });
      // a crash in the middle: 3 s after the big file started
      for (let i = 0; i < 600 && !inFlight(); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 3000));
      expect(first.server.child.exitCode).toBeNull(); // alive until killed: the file alone never took it down
      await first.server.kill();
      const s = await startJobServer(dataDir, work, args, first.key, env);
      servers.push(s);
      const job = await waitJob(s, jobId, 240_000);
      console.log(`10⁶-record file through serve, killed once: ${job.status} ${JSON.stringify(job.counts)}`);
      expect(s.server.child.exitCode).toBeNull();
      expect(s.server.child.signalCode).toBeNull();
      expect(job.status).toBe('completed');
      expect(job.counts).toMatchObject({ total: 2, scored: 2, failed: 0 });
      expect(job.counts.records).toBeGreaterThanOrEqual(1_000_000);
      expect(statSync(join(work, 'out-serve', 'big.json')).size).toBeGreaterThan(300 * 2 ** 20);
      expect((await fetch(`${s.server.url}/health`)).status).toBe(200);
    } finally {
      for (const server of servers) await server.server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
