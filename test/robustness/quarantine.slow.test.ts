/**
 * A poison input — one whose scoring takes the whole process down — among 200 normal files, through a real
 * `serve` restarted after each crash as a supervisor would. The process is SIGKILLed while the poison is in
 * flight (test/helpers/poison-killer.ts: once among the claimed inputs, then once it is scored alone), as V8's
 * out-of-memory abort did before large outputs were streamed (a 10⁶-record file in a 200 MiB heap), and as an
 * operator's kill -9 or the kernel's OOM killer would. The crash cannot loop: the inputs in flight at the first
 * crash are retried alone, the poison "crashes" the server once more while alone, and the next start fails it
 * "crashed the worker; skipped" and finishes the job: every other output whole and once, counts that add up.
 * The same through the CLI's `--resume`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/service/index.js';
import { runCli } from '../helpers/cli.js';
import { killWhen, type PoisonMoment, poisonInFlight } from '../helpers/poison-killer.js';
import { kerasPython } from '../helpers/python-keras.js';
import {
  type JobServer,
  jobFailures,
  startDeploymentJob,
  startJobServer,
  waitJob,
} from '../helpers/serve-job.js';

const run = promisify(execFile);
const python = kerasPython();
const suite = python || process.env.CI ? describe : describe.skip;
if (!python && !process.env.CI) console.warn('quarantine: skipped, no .venv Python with h5py');

const SMALL = 100; // before and after the poison in listing order: 200 normal files
const LIMITS = ['--limit', 'records-per-file=1000000', '--limit', 'output-bytes-per-file=1GiB'];
const POISON = 'm-poison.json';
/** The moment of each start's crash: first among the claimed inputs, then alone; the third start is left alone. */
const moments: (PoisonMoment | null)[] = ['claimed', 'alone', null];
const normalNames = () =>
  ['a', 'z'].flatMap((p) =>
    Array.from({ length: SMALL }, (_, i) => `${p}${String(i).padStart(3, '0')}.json`),
  );

/** Every normal input's output is there, parses, and holds exactly its own key; nothing else but `_keras-batch`. */
function expectOutputsWhole(dir: string) {
  const names = readdirSync(dir).filter((n) => n !== '_keras-batch');
  expect(names.sort()).toEqual(normalNames().sort());
  for (const name of names) {
    const output = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, { values: unknown[] }>;
    expect(Object.keys(output)).toEqual([name]);
    expect(output[name].values).toHaveLength(3);
  }
}

const crashedReason = /^crashed the worker; skipped/;

suite('robustness: an input that crashes the process is quarantined, never looped on', () => {
  let work: string;
  const files = () => join(work, 'files');
  const model = () => join(work, 'dense.h5');
  const servers: JobServer[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-quarantine-'));
    await run(python ?? 'python3', [
      join(import.meta.dirname, 'hostile_fixtures.py'),
      'h5-dense',
      model(),
      '10',
    ]);
    mkdirSync(join(files(), 'in'), { recursive: true });
    const rows = new Array<string>(1_000_000).fill('[0.5, 0.25, 0.125, 1.0]');
    writeFileSync(join(files(), 'in', POISON), `{"values": [${rows.join(', ')}]}`);
    for (const name of normalNames()) writeFileSync(join(files(), 'in', name), '{"values": [[1, 2, 3, 4]]}');
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.server.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('a real serve, restarted after each crash: two crashes, then the job completes without the poison', async () => {
    const dataDir = join(work, 'data');
    const target = join(files(), 'out-serve');
    let s = await startJobServer(dataDir, files(), LIMITS);
    servers.push(s);
    let crashes = 0;
    const killer = () =>
      moments[crashes]
        ? killWhen(poisonInFlight(target, POISON, moments[crashes] as PoisonMoment), () =>
            s.server.child.kill('SIGKILL'),
          )
        : null;
    let kill = killer();
    const jobId = await startDeploymentJob(s, {
      model: model(),
      name: 'dense',
      files: files(),
      source: 'in',
      target: 'out-serve',
    });
    let job: JobView | null = await waitJob(s, jobId, 120_000).catch(() => null);
    while (s.server.child.exitCode !== null || s.server.child.signalCode !== null) {
      kill?.stop();
      crashes += 1;
      expect(crashes, 'the server keeps crashing: a restart loop').toBeLessThanOrEqual(2);
      s = await startJobServer(dataDir, files(), LIMITS, s.key);
      servers.push(s);
      kill = killer();
      job = await waitJob(s, jobId, 120_000).catch(() => null);
    }
    kill?.stop();
    console.log(
      `poison through serve: ${crashes} crash(es), then ${job?.status} ${JSON.stringify(job?.counts)}`,
    );
    expect(crashes).toBe(2); // once among others, once alone
    expect(job?.status).toBe('completed');
    const counts = job?.counts as NonNullable<typeof job>['counts'];
    expect(counts).toMatchObject({ total: 2 * SMALL + 1, failed: 1 });
    expect(counts.scored + counts.failed + counts.skipped).toBe(counts.total);
    expect(counts.scored + counts.skipped).toBe(2 * SMALL);
    const failures = await jobFailures(s, jobId);
    expect(failures.map((f) => [f.file, f.code])).toEqual([[POISON, 'CRASHED_WORKER']]);
    expect(failures[0].reason).toMatch(crashedReason);
    expectOutputsWhole(target);
    // claims cleared, and their emptied folder with them (the job may read completed just before the run's end)
    const claimsLeft = () => readdirSync(join(target, '_keras-batch')).includes('claims');
    for (let i = 0; i < 50 && claimsLeft(); i++) await new Promise((r) => setTimeout(r, 100));
    if (claimsLeft()) console.log('claims left:', readdirSync(join(target, '_keras-batch', 'claims')));
    expect(claimsLeft()).toBe(false);
    expect((await fetch(`${s.server.url}/health`)).status).toBe(200);
  }, 600_000);

  it('the CLI with --resume: crash, crash alone, then the poison failed and never tried again', async () => {
    const target = join(files(), 'out-cli');
    const args = [
      'score',
      '-m',
      model(),
      '-s',
      join(files(), 'in'),
      '-t',
      target,
      '-q',
      '--json',
      '--resume',
    ];
    const codes: (number | string | null)[] = [];
    let last = '';
    for (let i = 0; i < 4; i += 1) {
      const moment = moments[i];
      const inFlight = moment ? poisonInFlight(target, POISON, moment) : undefined;
      const res = await runCli([...args, ...LIMITS], { killWhen: inFlight });
      codes.push(res.signal ?? res.code);
      last = res.stdout;
      if (res.code === 3) break;
    }
    expect(codes).toEqual(['SIGKILL', 'SIGKILL', 3]); // killed with the poison in flight, twice; then done
    const report = JSON.parse(last) as {
      counts: { total: number; scored: number; failed: number; skipped: number };
      failures: { file: string; code: string; reason: string }[];
    };
    expect(report.counts.failed).toBe(1);
    expect(report.counts.scored + report.counts.skipped).toBe(2 * SMALL);
    expect(report.failures[0]).toMatchObject({ file: POISON, code: 'CRASHED_WORKER' });
    expect(readdirSync(join(target, '_keras-batch'))).not.toContain('claims'); // cleared, folder and all
    expectOutputsWhole(target);
    // Quarantined for good: a later resume fails it at once, without trying (no crash, no scoring).
    const again = await runCli([...args, ...LIMITS]);
    expect(again.code).toBe(3);
    const after = JSON.parse(again.stdout) as typeof report;
    expect(after.counts).toMatchObject({ scored: 0, failed: 1, skipped: 2 * SMALL });
    expect(after.failures[0].reason).toMatch(crashedReason);
  }, 600_000);
});
