/**
 * Starts a real S3 server for the integration tests: versitygw (posix backend) on 127.0.0.1, on a free
 * port, with a temporary data folder and known credentials. Install it with scripts/install-s3-server.sh.
 * A missing binary is an error, never a silent skip: CI must run the s3 tests.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type BucketDriver, createS3Driver } from '../../src/storage/index.js';

/** A running test server. */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Creates a bucket (idempotent). */
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

const ACCESS_KEY_ID = 'kerasbatchtest';
const SECRET_ACCESS_KEY = 'kerasbatch-test-secret-key-0123456789';
const REGION = 'us-east-1';
const INSTALL_HINT =
  'run scripts/install-s3-server.sh (it builds versitygw with go install) or set VERSITYGW_BIN';

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Finds the versitygw binary, or throws an error telling how to install it. */
export function findS3ServerBinary(): string {
  const candidates: string[] = [];
  if (process.env.VERSITYGW_BIN) candidates.push(process.env.VERSITYGW_BIN);
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir) candidates.push(join(dir, 'versitygw'));
  for (const go of ['go', '/usr/local/go/bin/go']) {
    try {
      const [gobin, gopath] = execFileSync(go, ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' }).split('\n');
      if (gobin) candidates.push(join(gobin, 'versitygw'));
      for (const p of (gopath ?? '').split(delimiter)) if (p) candidates.push(join(p, 'bin', 'versitygw'));
      break;
    } catch {
      // no go here; try the next
    }
  }
  if (process.env.HOME) candidates.push(join(process.env.HOME, 'go', 'bin', 'versitygw'));
  const found = candidates.find(executable);
  if (!found) {
    throw new Error(
      `S3 test server not found (looked for versitygw in ${candidates.join(', ')}): ${INSTALL_HINT}`,
    );
  }
  return found;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once the server answers any HTTP request. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function startOnce(binary: string, dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--region', REGION, '--port', `127.0.0.1:${port}`, '--quiet', '--keep-alive', 'posix', dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY },
    },
  );
  // Never leave a server behind when the test process ends without calling stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (d) => {
    output = (output + d).slice(-4000);
  });
  child.stderr?.on('data', (d) => {
    output = (output + d).slice(-4000);
  });
  let exited: number | string | null | undefined;
  child.on('exit', (code, signal) => {
    exited = code ?? signal;
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`versitygw exited (${exited}) before it was ready:\n${output}`);
    if (await probe(port)) return { child, port };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`versitygw did not answer on 127.0.0.1:${port} within 20 s:\n${output}`);
}

/** Starts the S3 test server; call `stop()` in `afterAll`. */
export async function startS3Server(): Promise<S3TestServer> {
  const binary = findS3ServerBinary();
  const dataDir = await mkdtemp(join(tmpdir(), 'kb-s3-'));
  let started: { child: ChildProcess; port: number } | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !started; attempt++) {
    try {
      started = await startOnce(binary, dataDir);
    } catch (error) {
      lastError = error; // most likely the free port was taken in between; try another
    }
  }
  if (!started) {
    await rm(dataDir, { recursive: true, force: true });
    throw lastError;
  }
  const { child, port } = started;
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  });
  let stopped = false;
  return {
    endpoint,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: REGION,
    async createBucket(name: string) {
      try {
        await admin.send(new CreateBucketCommand({ Bucket: name }));
      } catch (error) {
        const n = (error as { name?: string }).name;
        if (n !== 'BucketAlreadyOwnedByYou' && n !== 'BucketAlreadyExists') throw error;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      admin.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A driver for one bucket of the test server, with the server's own keys. */
export function testBucket(server: S3TestServer, bucket: string): BucketDriver {
  return createS3Driver({
    bucket,
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
}
