/**
 * A batch job killed in the middle (SIGKILL: no cleanup, no report) and rerun with `--resume` ends with every
 * output present exactly once and whole, the second run skipping what the first one recorded. Folder to folder,
 * then through the S3 test server. The CLI runs from source as a user runs it.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobReport } from '../../src/batch/index.js';
import { type BucketDriver, createFsDriver, createS3Driver } from '../../src/storage/index.js';
import {
  checkOutput,
  countFolderOutputs,
  exampleInputs,
  exampleModel,
  FS_TEMP_PREFIX,
  listKeys,
  mapLimit,
  range,
  splitTargetKeys,
  walkNames,
  writeFiles,
} from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { type KilledRun, runCliUntil } from '../helpers/cli-process.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';

/**
 * The runner flushes its resume ledger every 2 s or 2,000 outputs, so a kill can only leave something to
 * skip after that: with 4,000 files the window from the first chunk to 80% is at least 1,200 outputs wide.
 */
const FILES = 4000;
const inputs = exampleInputs();
const inputName = (i: number) => `img${String(i).padStart(5, '0')}.json`;
const inputText = (i: number) => inputs[i % inputs.length];
const expectedKeys = range(FILES).map(inputName);
/** Small batches and little concurrency: the job runs long enough to be killed in its middle. */
const SLOW = ['--batch-size', '4', '--concurrency', '2', '--threads', '1'];

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kb-kill-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Outputs in the target (keys outside `_keras-batch/`) once the job has written a resume ledger chunk, else 0. */
async function progressOf(target: BucketDriver): Promise<number> {
  try {
    const ledger = await listKeys(target, '_keras-batch/ledger/');
    if (ledger.length === 0) return 0;
    return splitTargetKeys(await listKeys(target)).outputs.length;
  } catch {
    return 0; // the target does not exist yet
  }
}

/** The same for a folder, cheaply (names only, no stat per file): outputs once a ledger chunk exists. */
async function folderProgressOf(dir: string): Promise<number> {
  const ledger = await readdir(join(dir, '_keras-batch', 'ledger')).catch(() => [] as string[]);
  if (!ledger.some((n) => n.endsWith('.jsonl'))) return 0;
  return countFolderOutputs(dir);
}

/**
 * Kills the first run once it has written 30%–80% of the outputs and recorded some of them in its resume
 * ledger; returns the run and how many outputs the dead process really left (a few may land after the poll).
 */
async function killMidJob(
  args: string[],
  target: BucketDriver,
  progress: () => Promise<number>,
  pollMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<KilledRun & { left: number }> {
  const run = await runCliUntil([...args, '--quiet', '--json', ...SLOW], {
    env,
    progress,
    shouldKill: (n) => n >= FILES * 0.3 && n <= FILES * 0.8,
    pollMs,
  });
  expect(run.killedAt, `the job was not killed in its middle: ${run.code} ${run.stderr}`).not.toBeNull();
  expect(run.signal).toBe('SIGKILL');
  expect(run.stdout).toBe(''); // killed before it could print a report
  const left = splitTargetKeys(await listKeys(target)).outputs.length;
  expect(left).toBeGreaterThanOrEqual(run.killedAt as number);
  expect(left).toBeLessThan(FILES);
  return { ...run, left };
}

/** Checks the target after the resumed run: outputs exactly once, whole, right; only our own files besides. */
async function checkTarget(target: BucketDriver, report: JobReport) {
  const keys = await listKeys(target);
  expect(new Set(keys).size).toBe(keys.length); // nothing listed twice
  const { outputs, own } = splitTargetKeys(keys);
  expect(outputs).toEqual(expectedKeys); // every input's output, exactly once, nothing else
  expect(keys.filter((k) => k.split('/').some((s) => s.startsWith(FS_TEMP_PREFIX)))).toEqual([]);
  // The killed run wrote no report; the resumed one did. Besides, only resume ledger chunks.
  const reports = own.filter((k) => k.endsWith('/report.json'));
  expect(reports).toEqual([`_keras-batch/${report.jobId}/report.json`]);
  expect(own.filter((k) => !k.startsWith(`_keras-batch/${report.jobId}/`))).toEqual(
    own.filter((k) => /^_keras-batch\/ledger\/[^/]+\.jsonl$/.test(k)),
  );
  // Whole and right: each parses, has its own name as the single key, the seed's fields, and the class
  // every other copy of the same image got.
  const classes = await mapLimit(outputs, 16, async (key) =>
    checkOutput(key, Buffer.from((await target.get(key)).body).toString('utf8')),
  );
  for (let i = 0; i < FILES; i += 1) expect(classes[i], outputs[i]).toBe(classes[i % inputs.length]);
  expect(new Set(classes.slice(0, inputs.length)).size).toBeGreaterThan(5); // ten different digits
}

function checkResumedReport(first: { left: number }, second: { code: number | null; stdout: string }) {
  expect(second.code).toBe(0);
  const report = JSON.parse(second.stdout) as JobReport;
  expect(report.status).toBe('completed');
  const c = report.counts;
  expect(c.total).toBe(FILES);
  expect(c.listed).toBe(FILES);
  expect(c.failed).toBe(0);
  expect(c.scored + c.skipped).toBe(c.total);
  expect(c.skipped).toBeGreaterThan(0);
  expect(c.scored).toBeGreaterThan(0);
  // Only outputs that existed when the first run died can be skipped.
  expect(c.skipped).toBeLessThanOrEqual(first.left);
  return report;
}

describe('SIGKILL in the middle of a job, then --resume', () => {
  it('folder to folder: every output once and whole, the rerun skips what was recorded', async () => {
    const source = join(work, 'fs-in');
    const targetDir = join(work, 'fs-out');
    await writeFiles(source, FILES, inputName, inputText);
    const target = createFsDriver({ root: targetDir });
    const args = ['score', '--model', exampleModel, '--source', source, '--target', targetDir];

    const first = await killMidJob(args, target, () => folderProgressOf(targetDir), 20);
    const afterKill = await walkNames(targetDir);
    const tempsAfterKill = afterKill.filter((n) => n.split('/').some((s) => s.startsWith(FS_TEMP_PREFIX)));
    // Every file the dead process left is a whole output, a ledger chunk, a claims chunk or a temp file; no report.
    for (const name of afterKill) {
      expect(
        /^img\d{5}\.json$/.test(name) ||
          /^_keras-batch\/(ledger|claims)\/[^/]+\.jsonl$/.test(name) ||
          name.split('/').pop()?.startsWith(FS_TEMP_PREFIX),
        name,
      ).toBe(true);
    }
    for (const name of afterKill.filter((n) => /^img\d{5}\.json$/.test(n)))
      checkOutput(name, await readFile(join(targetDir, name), 'utf8'));

    const second = await runCli([...args, '--resume', '--quiet', '--json']);
    const report = checkResumedReport(first, second);
    await checkTarget(target, report);
    const afterResume = await walkNames(targetDir);
    const temps = afterResume.filter((n) => n.split('/').some((s) => s.startsWith(FS_TEMP_PREFIX)));
    // Temp files are never listed (checked above); on disk, the resumed run leaves none of its own.
    expect(temps.filter((t) => !tempsAfterKill.includes(t))).toEqual([]);
    console.info(
      `kill-resume (folder): killed at ${first.killedAt}/${FILES} outputs (${first.left} left) after ${Math.round(first.elapsedMs)} ms; ` +
        `resumed: scored ${report.counts.scored}, skipped ${report.counts.skipped}; ` +
        `temp files on disk after the kill: ${tempsAfterKill.length}, after the resume: ${temps.length} ` +
        `${JSON.stringify(temps.slice(0, 3))}; top-level names: ${(await readdir(targetDir)).length}`,
    );
    await target.close();
  });

  describe('through the S3 test server', () => {
    let server: S3TestServer;
    beforeAll(async () => {
      server = await startS3Server();
      await server.createBucket('kill-in');
      await server.createBucket('kill-out');
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('S3 to S3: every output once and whole, the rerun skips what was recorded', async () => {
      const driver = (bucket: string) =>
        createS3Driver({
          endpoint: server.endpoint,
          bucket,
          credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
        });
      const source = driver('kill-in');
      const target = driver('kill-out');
      try {
        await mapLimit(range(FILES), 32, (i) => source.put(inputName(i), inputText(i)));
        const env = {
          AWS_ACCESS_KEY_ID: server.accessKeyId,
          AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
          AWS_REGION: server.region,
        };
        const args = [
          'score',
          '--model',
          exampleModel,
          '--source',
          's3://kill-in',
          '--target',
          's3://kill-out',
          '--endpoint',
          server.endpoint,
        ];
        // Listing 4,000 keys over S3 is not free: poll less often than on a folder.
        const first = await killMidJob(args, target, () => progressOf(target), 50, env);
        const second = await runCli([...args, '--resume', '--quiet', '--json'], { env });
        const report = checkResumedReport(first, second);
        await checkTarget(target, report);
        console.info(
          `kill-resume (s3): killed at ${first.killedAt}/${FILES} outputs (${first.left} left) after ${Math.round(first.elapsedMs)} ms; ` +
            `resumed: scored ${report.counts.scored}, skipped ${report.counts.skipped}`,
        );
      } finally {
        await source.close();
        await target.close();
      }
    });
  });
});
