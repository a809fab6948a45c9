/**
 * The callers of the API client keep their own errors: the CLI's `--server` mode (`[server] <message>` with the
 * route's code, `CLI_SERVER_UNREACHABLE`), and a worker's model download (401/404 permanent with a hint,
 * no answer or 5xx retryable).
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClient } from '../../src/cli/commands/client.js';
import type { ModelVersionRow } from '../../src/repository/index.js';
import { serverModelFiles } from '../../src/service/model-files.js';
import { KerasBatchError } from '../../src/util/errors.js';
import { EXAMPLE_MODEL, type Harness, startHarness } from '../api/api-harness.js';
import { freePort } from '../helpers/serve-process.js';

let h: Harness;
let baseUrl: string;

beforeAll(async () => {
  h = await startHarness();
  baseUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => h?.close());

const rejection = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KerasBatchError);
  return error as KerasBatchError;
};

describe("the CLI's --server client", () => {
  it('adds a model (a second add is a new version), lists it, and shows the server’s errors', async () => {
    const client = await openClient({ server: `${baseUrl}/`, apiKey: h.key });
    expect(client.remote).toBe(true);
    await client.addModel({ file: EXAMPLE_MODEL, name: 'digits' });
    await client.addModel({ file: EXAMPLE_MODEL, name: 'digits', author: 'me' });
    const model = await client.showModel('digits');
    expect(model.versions?.map((v) => v.version)).toEqual([2, 1]);
    expect((await client.listModels()).total).toBe(1);

    const missing = await rejection(client.showJob('no-such-job'));
    expect([missing.part, missing.code]).toEqual(['server', 'REPO_NOT_FOUND']);
    expect(missing.message).toMatch(/^\[server\] .*no-such-job/);
    await client.close();
  });

  it('a server that does not answer is CLI_SERVER_UNREACHABLE naming it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = await openClient({ server: url, apiKey: 'kb_x' });
    const e = await rejection(client.listJobs());
    expect(e.code).toBe('CLI_SERVER_UNREACHABLE');
    expect(e.message).toContain(`cannot reach ${url}: `);
  });
});

describe("a worker's model download from the server", () => {
  it('downloads the file as uploaded; a refused key or an unknown version fails for good with a hint', async () => {
    const client = await openClient({ server: baseUrl, apiKey: h.key });
    const model = await client.showModel('digits');
    const v = model.versions?.[0];
    if (!v) throw new Error('no version');
    const row = {
      id: v.id,
      model_id: model.id,
      file_name: v.file_name,
      architecture_key: null,
    } as ModelVersionRow;

    const files = await serverModelFiles(`${baseUrl}/`, h.key).get(row);
    expect(Buffer.from(files.file).equals(readFileSync(EXAMPLE_MODEL))).toBe(true);
    expect([files.fileName, files.architecture]).toEqual([v.file_name, undefined]);

    const refused = await rejection(serverModelFiles(baseUrl, 'kb_wrong').get(row));
    expect([refused.code, refused.retryable]).toEqual(['SERVICE_INVALID', false]);
    expect(refused.message).toContain(
      `the server ${baseUrl} answered 401 for model version ${v.id}: check the worker's API key`,
    );
    const unknown = await rejection(serverModelFiles(baseUrl, h.key).get({ ...row, id: 'nope' }));
    expect([unknown.code, unknown.retryable]).toEqual(['SERVICE_INVALID', false]);
    expect(unknown.message).toContain(
      "answered 404 for model version nope: is the worker's database the server's?",
    );
  });

  it('no answer, or a 5xx, is retryable', async () => {
    const row = { id: 'v1', model_id: 'm1', file_name: 'm.keras', architecture_key: null } as ModelVersionRow;
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const silent = await rejection(serverModelFiles(nobody, 'k').get(row));
    expect([silent.code, silent.retryable]).toEqual(['SERVICE_UNAVAILABLE', true]);
    expect(silent.message).toContain(`the server ${nobody} does not answer: `);

    const failing = createServer((_req, res) => res.writeHead(503).end('busy'));
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const address = failing.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const busy = await rejection(serverModelFiles(url, 'k').get(row));
      expect([busy.code, busy.retryable]).toEqual(['SERVICE_UNAVAILABLE', true]);
      expect(busy.message).toContain(`the server ${url} answered 503 for model version v1`);
    } finally {
      failing.close();
    }
  });
});
