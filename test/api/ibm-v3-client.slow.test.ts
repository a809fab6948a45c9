/**
 * IBM's own v3 Python client (`watson-machine-learning-client==1.0.391`, unmodified, in `.venv-wml3`, which
 * `.ci/run` installs) against the built `keras-batch serve`: the seed's flow in test/api/ibm/v3_flow.py. Every
 * step is asserted there and here; the requests the client made are printed. The flow runs over http: the
 * client's repository part verifies https only against certifi's bundle (it ignores REQUESTS_CA_BUNDLE), so a
 * self-signed certificate cannot be trusted without editing the client's environment. `serve --tls-cert` is
 * checked on its own with the same client's HTTP library. Skips with a message only when the venv is missing
 * outside CI.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared.js';
import { CLI, expectCalls, requestsMade, run, startBuiltServe, stepsDone } from './ibm/client-harness.js';

const PYTHON = join(repoRoot, '.venv-wml3', 'bin', 'python');
const MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.h5');
const INPUT = join(repoRoot, 'examples', 'input', 'img1.json');
const available = existsSync(PYTHON);
if (!available && process.env.CI)
  throw new Error(`${PYTHON} is missing: .ci/run installs watson-machine-learning-client==1.0.391 there`);
if (!available)
  console.warn(
    `skipping the IBM v3 client test: no ${PYTHON} (python3 -m venv .venv-wml3 && .venv-wml3/bin/pip install watson-machine-learning-client==1.0.391)`,
  );

const STEPS = [
  'authenticate',
  'refresh token',
  'instance details',
  'store model',
  'store model again (same name)',
  'download model',
  'list models',
  'deploy online',
  'deploy online, asynchronous',
  'deployment status',
  'list deployments',
  'score',
  'delete deployment',
  'delete models',
];

describe.skipIf(!available)('IBM v3 Python client, unmodified, against keras-batch serve', () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'dist', 'cli', 'entry.js'))) throw new Error('run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'kb-ibm-v3-'));
  });

  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the seed flow: authenticate, store a tar.gz of the .h5, list, deploy online, score img1.json as `keras-batch predict` does, delete', async () => {
    const server = await startBuiltServe(join(dir, 'data'));
    children.push(server.child);
    const result = join(dir, 'result.json');
    const flow = await run(
      PYTHON,
      [join(repoRoot, 'test', 'api', 'ibm', 'v3_flow.py'), server.url, server.key, MODEL, INPUT, result],
      { PYTHONUNBUFFERED: '1' },
    );
    const requests = requestsMade(flow.out, 'v3');
    // The client's repository part calls /v2/identity/token through urllib3 directly: the server's log shows it.
    const served = server.log
      .split('\n')
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as { method: string; route: string; status: number });
    console.log(
      `requests the server answered (${served.length}):\n${served.map((r) => `${r.method} ${r.route} -> ${r.status}`).join('\n')}`,
    );
    expect(served).toContainEqual(
      expect.objectContaining({ method: 'GET', route: '/v2/identity/token', status: 200 }),
    );
    if (flow.code !== 0) console.log(flow.out);
    expect(flow.code).toBe(0);
    expect(stepsDone(flow.out)).toEqual(STEPS);
    // The calls that failed before (issue 14), each seen with its expected status.
    expectCalls(requests, [
      /^HTTP GET \S+\/v3\/identity\/token -> 200$/,
      /^HTTP PUT \S+\/v3\/identity\/token -> 200$/,
      /^HTTP GET \S+\/v3\/wml_instances\/keras-batch -> 200$/,
      /^HTTP POST \S+\/v3\/ml_assets\/models -> 201$/,
      /^HTTP PUT \S+\/v3\/ml_assets\/models\/\S+\/content -> 200$/,
      /^HTTP POST \S+\/v3\/wml_instances\/keras-batch\/deployments\?sync=false -> 202$/,
      /^HTTP GET \S+\/v3\/wml_instances\/keras-batch\/deployments -> 200$/,
      /^HTTP POST http:\S+\/deployments\/\S+\/online -> 200$/,
      /^HTTP DELETE \S+\/v3\/wml_instances\/keras-batch\/deployments\/\S+ -> 204$/,
      /^HTTP DELETE \S+\/v3\/ml_assets\/models\/\S+ -> 204$/,
    ]);

    const { scores } = JSON.parse(readFileSync(result, 'utf8'));
    const predicted = await run(process.execPath, [CLI, 'predict', '--model', MODEL, '--input', INPUT]);
    expect(predicted.code).toBe(0);
    const expected = JSON.parse(predicted.out)['img1.json'];
    expect(scores.fields).toEqual(expected.fields);
    expect(scores.values).toEqual([expected.values]);
    expect(scores.values[0][1]).toBe(7);
  }, 300_000);

  it("serve --tls-cert/--tls-key: https, a token through the client's requests with the certificate trusted", async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1']
        .concat(['-addext', 'subjectAltName=IP:127.0.0.1'])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    );
    const tls = ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')];
    const server = await startBuiltServe(join(dir, 'data-tls'), tls, 'https');
    children.push(server.child);
    expect(server.url).toMatch(/^https:/);
    const script = [
      'import requests, sys',
      'r = requests.get(sys.argv[1] + "/v3/identity/token", auth=("u", sys.argv[2]))',
      'print(r.status_code, r.json()["token"].count("."))',
    ].join('\n');
    const ok = await run(PYTHON, ['-c', script, server.url, server.key], {
      REQUESTS_CA_BUNDLE: join(dir, 'cert.pem'),
    });
    expect(ok.out.trim()).toBe('200 2');
    const untrusted = await run(PYTHON, ['-c', script, server.url, server.key]);
    expect(untrusted.out).toContain('CERTIFICATE_VERIFY_FAILED');

    const half = await run(process.execPath, [
      CLI,
      'serve',
      '--data-dir',
      join(dir, 'other'),
      tls[0],
      tls[1],
    ]);
    expect(half.code).toBe(2);
    expect(half.out).toContain('--tls-cert and --tls-key go together');
  }, 120_000);
});
