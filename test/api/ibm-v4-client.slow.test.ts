/**
 * IBM's own v4 Python client (`ibm-watson-machine-learning==1.0.370`, unmodified, in `.venv-wml4`, which
 * `.ci/run` installs) against the built `keras-batch serve` over https (a self-signed certificate made here,
 * trusted through REQUESTS_CA_BUNDLE: the client refuses http): the seed's flow in test/api/ibm/v4_flow.py,
 * with deployment jobs from a bucket of the S3 test server (versitygw) and from a local zip of JSON files.
 * Every step is asserted there and here; the requests the client made are printed. Skips with a message only
 * when the venv is missing outside CI.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import { freePort } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';

const PYTHON = join(repoRoot, '.venv-wml4', 'bin', 'python');
const CLI = join(repoRoot, 'bin', 'keras-batch.js');
const MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.h5');
const INPUTS = join(repoRoot, 'examples', 'input');
const INPUT = join(INPUTS, 'img1.json');
const available = existsSync(PYTHON);
if (!available && process.env.CI)
  throw new Error(`${PYTHON} is missing: .ci/run installs ibm-watson-machine-learning==1.0.370 there`);
if (!available)
  console.warn(
    `skipping the IBM v4 client test: no ${PYTHON} (python3 -m venv .venv-wml4 && .venv-wml4/bin/pip install ibm-watson-machine-learning==1.0.370)`,
  );

const STEPS = [
  'authenticate',
  'set default space',
  'software specification',
  'store model',
  'list models',
  'deploy online',
  'score',
  'deploy batch',
  'deployment job from S3',
  'deployment job from a zip of JSON files',
  'deployment job with inline input_data',
  'list jobs',
  'delete jobs',
  'delete deployments',
  'delete model',
];

/** Runs a command, resolving with its exit code and output. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The built CLI's `serve` on a free port; resolves once it listens, with its URL, printed key and log. */
async function startBuiltServe(dataDir: string, args: string[]) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'debug', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const server = { child, log: '', url: '', key: '' };
  child.stdout?.on('data', (d) => {
    server.log += d;
  });
  child.stderr?.on('data', (d) => {
    server.log += d;
  });
  const deadline = Date.now() + 60_000;
  while (!server.log.includes('keras-batch serving on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start:\n${server.log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  server.url = /keras-batch serving on (\S+)/.exec(server.log)?.[1] ?? '';
  server.key = /API key[^:]*: (kb_\S+)/.exec(server.log)?.[1] ?? '';
  expect(server.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}$`));
  expect(server.key).toMatch(/^kb_/);
  return server;
}

/** `name → parsed JSON` of every `.json` file in a folder (not the job reports' folder). */
const jsonFiles = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8'))]),
  );

describe.skipIf(!available)('IBM v4 Python client, unmodified, against keras-batch serve (https)', () => {
  let dir: string;
  let s3: S3TestServer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist', 'cli', 'entry.js'))) throw new Error('run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'kb-ibm-v4-'));
    s3 = await startS3Server();
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await s3?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the seed flow: authenticate, store a tar.gz of the .h5, deploy, score img1.json as `keras-batch predict` does, jobs from S3 and a zip as `keras-batch score` does, delete', async () => {
    execFileSync(
      '/usr/bin/openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1']
        .concat(['-addext', 'subjectAltName=IP:127.0.0.1'])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    );
    // The inputs: the seed's JSON files in a bucket, and the same files in one zip in a local folder.
    const names = readdirSync(INPUTS).filter((f) => f.endsWith('.json'));
    await s3.createBucket('seed');
    const bucket = testBucket(s3, 'seed');
    for (const f of names) await bucket.put(`inputs/${f}`, readFileSync(join(INPUTS, f)));
    const zipDir = join(dir, 'zip');
    mkdirSync(zipDir);
    writeFileSync(
      join(zipDir, 'inputs.zip'),
      zipSync(Object.fromEntries(names.map((f) => [f, new Uint8Array(readFileSync(join(INPUTS, f)))]))),
    );
    const s3Json = join(dir, 's3.json');
    const s3Spec = {
      endpoint: s3.endpoint,
      access_key: s3.accessKeyId,
      secret_key: s3.secretAccessKey,
      bucket: 'seed',
      input_prefix: 'inputs/',
      output_prefix: 'outputs/',
    };
    writeFileSync(s3Json, JSON.stringify(s3Spec));

    const server = await startBuiltServe(join(dir, 'data'), [
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
      '--local-root',
      zipDir,
      '--s3-endpoint-allow',
      'http://127.0.0.1:*',
    ]);
    children.push(server.child);
    const result = join(dir, 'result.json');
    const flow = await run(
      PYTHON,
      [
        join(repoRoot, 'test', 'api', 'ibm', 'v4_flow.py'),
        server.url,
        server.key,
        MODEL,
        INPUT,
        s3Json,
        zipDir,
        result,
      ],
      { PYTHONUNBUFFERED: '1', REQUESTS_CA_BUNDLE: join(dir, 'cert.pem') },
    );
    const requests = flow.out.split('\n').filter((l) => l.startsWith('HTTP '));
    console.log(`requests the v4 client made (${requests.length}):\n${requests.join('\n')}`);
    if (flow.code !== 0) console.log(flow.out);
    expect(flow.code).toBe(0);
    const done = flow.out
      .split('\n')
      .filter((l) => l.startsWith('STEP '))
      .map((l) => /^STEP (.+?) ok/.exec(l)?.[1]);
    expect(done).toEqual(STEPS);
    console.log(
      flow.out
        .split('\n')
        .filter((l) => l.startsWith('STEP '))
        .join('\n'),
    );
    for (const call of [
      /^HTTP POST \S+\/icp4d-api\/v1\/authorize -> 200$/,
      /^HTTP GET \S+\/v2\/spaces\/\S+ -> 200$/,
      /^HTTP GET \S+\/v2\/software_specifications\S* -> 200$/,
      /^HTTP POST \S+\/ml\/v4\/models\S* -> 201$/,
      /^HTTP PUT \S+\/ml\/v4\/models\/\S+\/content\S* -> 201$/,
      /^HTTP POST \S+\/ml\/v4\/deployments\S* -> 202$/,
      /^HTTP POST \S+\/ml\/v4\/deployments\/\S+\/predictions\S* -> 200$/,
      /^HTTP POST \S+\/ml\/v4\/deployment_jobs\S* -> 202$/,
      /^HTTP GET \S+\/ml\/v4\/deployment_jobs\/\S+ -> 200$/,
      /^HTTP DELETE \S+\/ml\/v4\/deployment_jobs\/\S+hard_delete=true\S* -> 204$/,
      /^HTTP DELETE \S+\/ml\/v4\/deployments\/\S+ -> 204$/,
      /^HTTP DELETE \S+\/v2\/assets\/\S+ -> 204$/,
    ])
      expect(
        requests.some((r) => call.test(r)),
        String(call),
      ).toBe(true);
    // No key in the server's log or the client's output (GET job responses mask them).
    expect(server.log).not.toContain(s3.secretAccessKey);
    expect(flow.out).not.toContain(s3.secretAccessKey);

    // Online: the class and numbers of `keras-batch predict`.
    const { scores } = JSON.parse(readFileSync(result, 'utf8'));
    const predicted = await run(process.execPath, [CLI, 'predict', '--model', MODEL, '--input', INPUT]);
    expect(predicted.code).toBe(0);
    const expected = JSON.parse(predicted.out)['img1.json'];
    expect(scores.fields).toEqual(expected.fields);
    expect(scores.values).toEqual([expected.values]);
    expect(scores.values[0][1]).toBe(7);

    // Batch: the outputs of `keras-batch score` over the same files, one output per input.
    const reference = join(dir, 'reference');
    const scored = await run(process.execPath, [
      CLI,
      'score',
      '--model',
      MODEL,
      '--source',
      INPUTS,
      '--target',
      reference,
    ]);
    expect(scored.code, scored.out).toBe(0);
    const want = jsonFiles(reference);
    expect(Object.keys(want).sort()).toEqual(names.sort());
    const fromS3: Record<string, unknown> = {};
    for (const f of names)
      fromS3[f] = JSON.parse(new TextDecoder().decode((await bucket.get(`outputs/${f}`)).body));
    expect(fromS3).toEqual(want);
    const zipped = unzipSync(new Uint8Array(readFileSync(join(zipDir, 'out', 'inputs.zip'))));
    const fromZip = Object.fromEntries(
      Object.entries(zipped).map(([f, bytes]) => [f, JSON.parse(new TextDecoder().decode(bytes))]),
    );
    expect(fromZip).toEqual(want);
  }, 400_000);
});
