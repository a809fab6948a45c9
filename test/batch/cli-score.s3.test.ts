/**
 * `keras-batch score` end to end, run from source as a user runs it: exit codes (0 all scored, 3 some failed,
 * 2 usage or configuration error with nothing written), the printed summary and `--json` report, the report
 * files in the target (and none with `--no-report`), and secrets from `--connection` never printed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileFailure, JobReport } from '../../src/batch/index.js';
import { createS3Driver } from '../../src/storage/index.js';
import {
  checkOutput,
  exampleInputs,
  exampleModel,
  listKeys,
  range,
  walkNames,
  writeFiles,
} from '../helpers/batch-files.js';
import { runCli } from '../helpers/cli.js';
import { type S3TestServer, startS3Server } from '../helpers/s3-server.js';

const GOOD = 24;
const inputs = exampleInputs();
const goodName = (i: number) => `img${String(i).padStart(3, '0')}.json`;

/** Bad inputs mixed into a good batch, with the stage each must fail at. */
const BAD: Record<string, { text: string; stage: FileFailure['stage']; reason: RegExp }> = {
  'bad-json.json': { text: '{"values": [[1, 2', stage: 'parse', reason: /JSON/i },
  'empty.json': { text: '', stage: 'read', reason: /empty/i },
  'no-values.json': { text: '{"data": [1, 2, 3]}', stage: 'parse', reason: /values/ },
  'wrong-shape.json': { text: '{"values": [[1, 2, 3]]}', stage: 'validate', reason: /axis|shape/i },
  'nan.json': { text: '{"values": [NaN]}', stage: 'parse', reason: /NaN|JSON|number/i },
  'notes.txt': { text: 'not an input', stage: 'list', reason: /not an input file/ },
};

let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kb-cli-score-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh source folder with the good inputs (and the bad ones when asked); the target path is fresh too. */
async function folders(withBad = false) {
  n += 1;
  const source = join(work, `case${n}`, 'in');
  const target = join(work, `case${n}`, 'out');
  await writeFiles(source, GOOD, goodName, (i) => inputs[i % inputs.length]);
  if (withBad) for (const [name, bad] of Object.entries(BAD)) await writeFile(join(source, name), bad.text);
  return { source, target };
}

const score = (source: string, target: string, ...extra: string[]) =>
  runCli(['score', '--model', exampleModel, '--source', source, '--target', target, ...extra]);

/** Every output of a good input is present and whole. */
async function expectGoodOutputs(target: string) {
  for (const i of range(GOOD)) {
    const name = goodName(i);
    checkOutput(name, await readFile(join(target, name), 'utf8'));
  }
}

describe('keras-batch score on folders', () => {
  it('exits 0 on a clean run; --json prints the report, also written with errors.jsonl in the target', async () => {
    const { source, target } = await folders();
    const result = await score(source, target, '--quiet', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as JobReport;
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({
      listed: GOOD,
      scored: GOOD,
      failed: 0,
      skipped: 0,
      records: GOOD,
      total: GOOD,
    });
    expect(report.failures).toEqual([]);
    expect(report.model.name).toBe('mnist-cnn.keras');
    expect(report.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.source).toBe(source);
    expect(report.target).toBe(target);
    expect(report.reportKey).toBe(`_keras-batch/${report.jobId}/report.json`);
    await expectGoodOutputs(target);
    const written = JSON.parse(await readFile(join(target, report.reportKey as string), 'utf8'));
    expect(written).toEqual(report);
    expect(await readFile(join(target, '_keras-batch', report.jobId, 'errors.jsonl'), 'utf8')).toBe('');
    const names = await walkNames(target);
    expect(names.filter((f) => !f.startsWith('_keras-batch/')).sort()).toEqual(range(GOOD).map(goodName));
  });

  it('exits 3 when some inputs fail: every good one scored, the summary and errors.jsonl list each failure', async () => {
    const { source, target } = await folders(true);
    const result = await score(source, target, '--quiet');
    expect(result.code).toBe(3);
    const badNames = Object.keys(BAD);
    const total = GOOD + badNames.length;
    expect(result.stdout).toContain('completed with failures');
    expect(result.stdout).toContain(
      `inputs ${total}: scored ${GOOD}, failed ${badNames.length}, skipped 0; records ${GOOD}`,
    );
    expect(result.stdout).toContain('failures:');
    for (const [name, bad] of Object.entries(BAD))
      expect(result.stdout).toMatch(new RegExp(`\\n\\s+${name.replace('.', '\\.')} \\[${bad.stage}\\] \\S`));
    await expectGoodOutputs(target);
    const names = await walkNames(target);
    for (const name of badNames) expect(names).not.toContain(name); // no output for a failed input

    const jobId = /job (\S+):/.exec(result.stdout)?.[1] as string;
    expect(result.stdout).toContain(`report: _keras-batch/${jobId}/report.json in the target`);
    const report = JSON.parse(
      await readFile(join(target, '_keras-batch', jobId, 'report.json'), 'utf8'),
    ) as JobReport;
    expect(report.status).toBe('completed_with_failures');
    expect(report.counts).toMatchObject({ scored: GOOD, failed: badNames.length, skipped: 0, total });
    const errors = (await readFile(join(target, '_keras-batch', jobId, 'errors.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as FileFailure);
    expect(errors.map((e) => e.file).sort()).toEqual([...badNames].sort());
    expect(errors).toEqual(report.failures);
    for (const e of errors) {
      expect(e.stage, e.file).toBe(BAD[e.file].stage);
      expect(e.reason, e.file).toMatch(BAD[e.file].reason);
      expect(e.code, e.file).toMatch(/^[A-Z_]+$/);
    }
  });

  it('--json on a run with failures prints a parseable report listing them', async () => {
    const { source, target } = await folders(true);
    const result = await score(source, target, '--json');
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as JobReport;
    expect(report.counts.failed).toBe(Object.keys(BAD).length);
    expect(report.failures.map((f) => f.file).sort()).toEqual(Object.keys(BAD).sort());
  });

  it('--no-report writes the outputs but no report.json or errors.jsonl', async () => {
    const { source, target } = await folders(true);
    const result = await score(source, target, '--quiet', '--json', '--no-report');
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as JobReport;
    expect(report.reportKey).toBeNull();
    expect(report.counts.scored).toBe(GOOD);
    await expectGoodOutputs(target);
    const names = await walkNames(target);
    expect(names.filter((f) => f.endsWith('report.json') || f.endsWith('errors.jsonl'))).toEqual([]);
    expect(existsSync(join(target, '_keras-batch', report.jobId))).toBe(false);
    expect(result.stdout).not.toContain('in the target');
  });
});

describe('keras-batch score: usage and configuration errors exit 2 with a clear message, nothing written', () => {
  const expectUsageError = async (args: string[], message: RegExp, target?: string) => {
    const result = await runCli(['score', ...args, '--quiet']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: /m);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    if (target) expect(existsSync(target), `${target} was created`).toBe(false);
    return result;
  };

  it('a model path that does not exist', async () => {
    const { source, target } = await folders();
    const model = join(work, 'missing-model.h5');
    await expectUsageError(
      ['--model', model, '--source', source, '--target', target],
      /missing-model\.h5/,
      target,
    );
  });

  it('a model file that is not a model', async () => {
    const { source, target } = await folders();
    const model = join(work, 'not-a-model.h5');
    await writeFile(model, 'this is text, not HDF5');
    await expectUsageError(
      ['--model', model, '--source', source, '--target', target],
      /neither HDF5 \(\.h5\) nor a zip/,
      target,
    );
    const json = join(work, 'input-as-model.keras');
    await writeFile(json, inputs[0]);
    await expectUsageError(
      ['--model', json, '--source', source, '--target', target],
      /neither HDF5 \(\.h5\) nor a zip/,
      target,
    );
  });

  it('a source folder that does not exist', async () => {
    const target = join(work, 'no-source-out');
    await expectUsageError(
      ['--model', exampleModel, '--source', join(work, 'no-such-folder'), '--target', target],
      /no-such-folder.*does not exist/,
      target,
    );
  });

  it('a target inside the source (or the source itself)', async () => {
    const { source } = await folders();
    const before = await walkNames(source);
    const inside = join(source, 'out');
    await expectUsageError(
      ['--model', exampleModel, '--source', source, '--target', inside],
      /inside/,
      inside,
    );
    await expectUsageError(['--model', exampleModel, '--source', source, '--target', source], /the source/);
    expect((await walkNames(source)).sort()).toEqual(before.sort());
  });

  it('an unreachable S3 endpoint (source or target)', async () => {
    const { source, target } = await folders();
    const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'unreachable-secret-0000' };
    const run = (args: string[]) =>
      runCli(['score', '--model', exampleModel, ...args, '--endpoint', 'http://127.0.0.1:9', '--quiet'], {
        env,
      });
    const fromS3 = await run(['--source', 's3://unreachable-in', '--target', target]);
    expect(fromS3.code, fromS3.stderr).toBe(2);
    expect(fromS3.stderr).toMatch(/error: .*127\.0\.0\.1:9.*ECONNREFUSED/);
    expect(existsSync(target)).toBe(false);
    const toS3 = await run(['--source', source, '--target', 's3://unreachable-out']);
    expect(toS3.code, toS3.stderr).toBe(2);
    expect(toS3.stderr).toMatch(/error: .*unreachable-out.*127\.0\.0\.1:9.*ECONNREFUSED/);
    for (const r of [fromS3, toS3]) expect(r.stdout + r.stderr).not.toContain(env.AWS_SECRET_ACCESS_KEY);
  });

  it('bad options: a missing --model, a batch size of 0', async () => {
    const { source, target } = await folders();
    const noModel = await runCli(['score', '--source', source, '--target', target]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/--model/);
    await expectUsageError(
      ['--model', exampleModel, '--source', source, '--target', target, '--batch-size', '0'],
      /--batch-size/,
      target,
    );
    expect(existsSync(target)).toBe(false);
  });
});

describe('keras-batch score against the S3 test server', () => {
  let server: S3TestServer;
  const SECRET = 'connection-secret-Zq8x-DO-NOT-PRINT';
  const ACCESS = 'AKIDCONNWRONG42';

  beforeAll(async () => {
    server = await startS3Server();
    await server.createBucket('cli-in');
    await server.createBucket('cli-out');
    const driver = createS3Driver({
      endpoint: server.endpoint,
      bucket: 'cli-in',
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    for (const i of range(GOOD)) await driver.put(goodName(i), inputs[i % inputs.length]);
    await driver.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const connection = async (name: string, keys: { access_key: string; secret_key: string }) => {
    const path = join(work, `${name}.json`);
    await writeFile(path, JSON.stringify({ ...keys, url: server.endpoint }));
    return path;
  };
  const targetKeys = async (bucket: string) => {
    const d = createS3Driver({
      endpoint: server.endpoint,
      bucket,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    try {
      return await listKeys(d);
    } finally {
      await d.close();
    }
  };

  it('scores bucket to bucket with --connection keys; the secret is not in the report', async () => {
    const conn = await connection('good-conn', {
      access_key: server.accessKeyId,
      secret_key: server.secretAccessKey,
    });
    const args = [
      'score',
      '--model',
      exampleModel,
      '--source',
      's3://cli-in',
      '--target',
      's3://cli-out/run1',
    ];
    const result = await runCli([...args, '--connection', conn, '--json', '--log-level', 'debug']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as JobReport;
    expect(report.counts).toMatchObject({ scored: GOOD, failed: 0, total: GOOD });
    expect(report.source).toBe('s3://cli-in/');
    expect(report.target).toBe('s3://cli-out/run1/');
    expect(result.stdout + result.stderr).not.toContain(server.secretAccessKey);
    const keys = await targetKeys('cli-out');
    expect(keys.filter((k) => !k.startsWith('run1/_keras-batch/'))).toEqual(
      range(GOOD).map((i) => `run1/${goodName(i)}`),
    );
    expect(keys).toContain(`run1/_keras-batch/${report.jobId}/report.json`);
    expect(keys).toContain(`run1/_keras-batch/${report.jobId}/errors.jsonl`);
  });

  it('wrong keys through --connection: exit 2, a clear message, the secret never printed, nothing written', async () => {
    const before = await targetKeys('cli-out');
    const cases = [
      { access_key: ACCESS, secret_key: SECRET }, // unknown access key
      { access_key: server.accessKeyId, secret_key: SECRET }, // right access key, wrong secret
    ];
    for (const [i, keys] of cases.entries()) {
      const conn = await connection(`wrong-conn-${i}`, keys);
      for (const extra of [['--quiet'], ['--json', '--log-level', 'debug']]) {
        const result = await runCli([
          'score',
          '--model',
          exampleModel,
          '--source',
          's3://cli-in',
          '--target',
          's3://cli-out/wrong',
          '--connection',
          conn,
          ...extra,
        ]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(
          /error: \[batch\] the source s3:\/\/cli-in\/.* cannot be listed: .*(denied|Access|Signature|XAdmin)/i,
        );
        expect(result.stdout + result.stderr).not.toContain(SECRET);
        expect(result.stdout + result.stderr).not.toContain(server.secretAccessKey);
      }
    }
    // The wrong keys also reach nothing when the model is bad or the source bucket is missing.
    const conn = await connection('wrong-conn-missing', { access_key: ACCESS, secret_key: SECRET });
    const missing = await runCli([
      'score',
      '--model',
      exampleModel,
      '--source',
      's3://no-such-bucket',
      '--target',
      's3://cli-out/wrong',
      '--connection',
      conn,
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stdout + missing.stderr).not.toContain(SECRET);
    // The right keys, but a target bucket that does not exist: found before anything is scored.
    const good = await connection('good-conn-2', {
      access_key: server.accessKeyId,
      secret_key: server.secretAccessKey,
    });
    const noTarget = await runCli([
      'score',
      '--model',
      exampleModel,
      '--source',
      's3://cli-in',
      '--target',
      's3://no-such-target-bucket',
      '--connection',
      good,
      '--log-level',
      'debug',
    ]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/error: .*no-such-target-bucket/);
    expect(noTarget.stdout + noTarget.stderr).not.toContain(server.secretAccessKey);
    expect(await targetKeys('cli-out')).toEqual(before);
  });

  it('a missing source bucket or a bad model with an S3 target: exit 2, nothing written in the bucket', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_REGION: server.region,
    };
    const before = await targetKeys('cli-out');
    const base = ['score', '--endpoint', server.endpoint, '--target', 's3://cli-out/usage', '--quiet'];
    const missing = await runCli([...base, '--model', exampleModel, '--source', 's3://no-such-bucket'], {
      env,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: .*no-such-bucket/);
    const badModel = join(work, 'bad-model-s3.keras');
    await writeFile(badModel, 'PK not really a zip');
    const bad = await runCli([...base, '--model', badModel, '--source', 's3://cli-in'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: /m);
    const inside = await runCli(
      [
        'score',
        '--endpoint',
        server.endpoint,
        '--model',
        exampleModel,
        '--source',
        's3://cli-in',
        '--target',
        's3://cli-in/out',
        '--quiet',
      ],
      { env },
    );
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/inside/);
    expect(await targetKeys('cli-out')).toEqual(before);
    expect((await targetKeys('cli-in')).filter((k) => !/^img\d{3}\.json$/.test(k))).toEqual([]);
    for (const r of [missing, bad, inside]) expect(r.stdout + r.stderr).not.toContain(server.secretAccessKey);
  });
});
