/**
 * Hostile model uploads against a real `keras-batch serve`: a 2 MB `.keras` whose config.json unpacks to
 * 2 GiB (it aborted the server before the limits) and a ~10 KB `.h5` declaring a 100M-element weight (it
 * took the server to 8 GB) are refused with LIMIT_EXCEEDED naming the limit, the server stays up, and its
 * peak RSS stays small. The files are made at test time by hostile_fixtures.py (h5py from .venv).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kerasPython } from '../helpers/python-keras.js';
import { api, type ServeProcess, startServe } from '../helpers/serve-process.js';

const run = promisify(execFile);
const python = kerasPython();
const FIXTURES = join(import.meta.dirname, 'hostile_fixtures.py');

/** Peak resident memory of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const suite = python || process.env.CI ? describe : describe.skip;
if (!python && !process.env.CI) console.warn('hostile-models: skipped, no .venv Python with h5py');

suite('robustness: hostile model uploads to a real serve', () => {
  let work: string;
  let server: ServeProcess;
  let key: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-hostile-'));
    await run(python ?? 'python3', [FIXTURES, 'zip-bomb', join(work, 'bomb.keras'), '2']);
    await run(python ?? 'python3', [FIXTURES, 'h5-huge-weight', join(work, 'huge.h5'), '10000']);
    // a budget stated here (the default is 1/16 of the memory) so the test names weight-bytes on any machine
    server = await startServe(join(work, 'data'), { KERAS_BATCH_LIMITS: 'weight-bytes=256MiB' });
    key = server.printedKey as string;
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const upload = async (file: string) => {
    const form = new FormData();
    form.set('meta', JSON.stringify({ name: file, description: 'hostile', author: { name: 'robustness' } }));
    form.set('model', new Blob([readFileSync(join(work, file))]), file);
    const started = performance.now();
    const res = await api<{ errors?: { code: string; message: string }[] }>(
      server,
      key,
      'POST',
      '/v3/wml_instances/robustness/published_models',
      form,
    );
    return { ...res, seconds: (performance.now() - started) / 1000 };
  };

  const alive = async () => {
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  };

  it('refuses the 2 MB .keras whose config.json unpacks to 2 GiB, naming config-bytes; the server stays up', async () => {
    expect(readFileSync(join(work, 'bomb.keras')).byteLength).toBeLessThan(4 * 1024 ** 2);
    const res = await upload('bomb.keras');
    expect(res.status).toBe(422);
    expect(res.text).toContain('LIMIT_EXCEEDED');
    expect(res.text).toMatch(/config\.json \(uncompressed\): 2 GiB is over the config-bytes limit of 64 MiB/);
    expect(res.text).toContain('--limit config-bytes=');
    await alive();
    const peak = peakRssMiB(server.child.pid as number);
    console.log(`zip bomb refused in ${res.seconds.toFixed(1)} s; server peak RSS ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(1024);
  }, 120_000);

  it('refuses the ~10 KB .h5 declaring a 100M-element weight, naming weight-bytes; memory stays flat', async () => {
    expect(readFileSync(join(work, 'huge.h5')).byteLength).toBeLessThan(64 * 1024);
    const res = await upload('huge.h5');
    expect(res.status).toBe(422);
    expect(res.text).toContain('LIMIT_EXCEEDED');
    expect(res.text).toContain('100010000 elements');
    expect(res.text).toMatch(/over the weight-bytes limit of 256 MiB/);
    await alive();
    const peak = peakRssMiB(server.child.pid as number);
    console.log(
      `100M-element weight refused in ${res.seconds.toFixed(1)} s; server peak RSS ${peak.toFixed(0)} MiB`,
    );
    expect(peak).toBeLessThan(1024);
  }, 120_000);

  it('refuses the same .h5 under the default budget (no limit set), the server up', async () => {
    const plain = await startServe(join(work, 'data-default'), { KERAS_BATCH_LIMITS: '' });
    try {
      const form = new FormData();
      form.set('name', 'huge');
      form.set('file', new Blob([readFileSync(join(work, 'huge.h5'))]), 'huge.h5');
      const res = await api(plain, plain.printedKey as string, 'POST', '/api/v1/models', form);
      // 400 MB declared by a 10 KB file: over weight-file-ratio (8× the file) whatever the machine's memory
      expect(res.status).toBe(422);
      expect(res.text).toContain('LIMIT_EXCEEDED');
      expect(res.text).toMatch(/over the weight-(bytes|file-ratio) limit/);
      expect(plain.child.exitCode).toBeNull();
      expect((await fetch(`${plain.url}/health`)).status).toBe(200);
    } finally {
      await plain.stop();
    }
  }, 120_000);
});
