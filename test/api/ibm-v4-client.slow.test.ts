/**
 * IBM's own v4 Python client (`ibm-watson-machine-learning==1.0.370`, unmodified, in `.venv-wml4`, which
 * `.ci/run` installs) against the built `keras-batch serve` over https (a self-signed certificate made here,
 * trusted through REQUESTS_CA_BUNDLE: the client refuses http): the seed's flow in test/api/ibm/v4_flow.py,
 * with deployment jobs from a bucket of the S3 test server (versitygw) and from a local zip of JSON files.
 * Every step is asserted there and here; the requests the client made are printed. Skips with a message only
 * when the venv is missing outside CI.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
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
import { repoRoot } from '../helpers/shared.js';
import { CLI, expectCalls, requestsMade, run, startBuiltServe, stepsDone } from './ibm/client-harness.js';

const PYTHON = join(repoRoot, '.venv-wml4', 'bin', 'python');
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

    const server = await startBuiltServe(
      join(dir, 'data'),
      [
        '--tls-cert',
        join(dir, 'cert.pem'),
        '--tls-key',
        join(dir, 'key.pem'),
        '--local-root',
        zipDir,
        '--s3-endpoint-allow',
        'http://127.0.0.1:*',
      ],
      'https',
    );
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
    const requests = requestsMade(flow.out, 'v4');
    if (flow.code !== 0) console.log(flow.out);
    expect(flow.code).toBe(0);
    expect(stepsDone(flow.out)).toEqual(STEPS);
    console.log(
      flow.out
        .split('\n')
        .filter((l) => l.startsWith('STEP '))
        .join('\n'),
    );
    expectCalls(requests, [
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
    ]);
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
