/**
 * An in-process server for the API tests: a fresh data dir, the app (no port), an API key, and every log line
 * kept in memory so tests can check what was logged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { type AppOptions, buildApp } from '../../src/api/index.js';
import { type KerasBatchService, openService } from '../../src/service/index.js';
import { repoRoot } from '../helpers/shared.js';

/** The example MNIST model shipped in examples/ (always present). */
export const EXAMPLE_MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');
export const EXAMPLE_INPUT = join(repoRoot, 'examples', 'input', 'img1.json');

export interface Harness {
  app: FastifyInstance;
  service: KerasBatchService;
  dir: string;
  key: string;
  auth: { authorization: string };
  logs: string[];
  /** Every response body seen through `call`. */
  bodies: string[];
  call(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function startHarness(
  options: Partial<Omit<AppOptions, 'service' | 'logger'>> = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'kb-api-'));
  const logs: string[] = [];
  const bodies: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const service = await openService({ dataDir: join(dir, 'data'), logger, env: {} });
  const app = await buildApp({ service, logger, ...options });
  const { key } = await service.keys.create('test');
  const auth = { authorization: `Bearer ${key}` };
  return {
    app,
    service,
    dir,
    key,
    auth,
    logs,
    bodies,
    async call(o) {
      const res = await app.inject({ ...o, headers: { ...auth, ...(o.headers ?? {}) } });
      bodies.push(res.body);
      return res;
    },
    async close() {
      await app.close();
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A multipart/form-data body: files as `[filename, bytes]`, fields as text. */
export function multipart(parts: Record<string, string | [string, Uint8Array]>): {
  payload: Buffer;
  headers: Record<string, string>;
} {
  const boundary = `----kb${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value === 'string') {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
      );
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value[0]}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        Buffer.from(value[1]),
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export const exampleModelBytes = (): Uint8Array => new Uint8Array(readFileSync(EXAMPLE_MODEL));
/** `values` of the example input (one MNIST digit with the batch axis, `[1,28,28,1]`). */
export const exampleValues = (): number[][][][] => JSON.parse(readFileSync(EXAMPLE_INPUT, 'utf8')).values;
