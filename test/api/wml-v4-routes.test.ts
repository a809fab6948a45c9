/**
 * The WML v4 routes over HTTP against a real `serve` (no client library): a model stored in two steps, online
 * and batch deployments, `/predictions`, and deployment jobs through their states: inline `input_data` →
 * predictions in the job record (equal to online scoring), a local folder → one output per input, a queued job
 * canceled, a missing input folder failed, `hard_delete`, the list filters, masked keys and refusals.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, LOOPBACK_S3, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { repoRoot } from '../helpers/shared.js';

const INPUTS = join(repoRoot, 'examples', 'input');
const MODEL = join(repoRoot, 'examples', 'models', 'mnist-cnn.h5');

interface Job {
  metadata: { id: string; name: string };
  entity: {
    deployment: { id: string };
    scoring: {
      status: { state: string; failure?: { errors: { code: string; message: string }[] } };
      predictions?: { fields: string[]; values: unknown[] }[];
      input_data_references?: { connection: Record<string, string> }[];
      output_data_reference?: { connection: Record<string, string> };
    };
  };
}

describe('WML v4 routes over HTTP', () => {
  let work: string;
  let files: string;
  let server: ServeProcess;
  let key: string;
  let modelId: string;
  let batchId: string;
  let onlineId: string;
  const call = <T>(method: string, path: string, body?: unknown) => api<T>(server, key, method, path, body);

  /** Polls a job until it is final; the states seen, in order. */
  async function finish(id: string, first: string): Promise<{ job: Job; states: string[] }> {
    const states = [first];
    for (let i = 0; i < 1200; i++) {
      const res = await call<Job>('GET', `/ml/v4/deployment_jobs/${id}`);
      expect(res.status).toBe(200);
      const state = res.body.entity.scoring.status.state;
      if (states.at(-1) !== state) states.push(state);
      if (['completed', 'failed', 'canceled'].includes(state)) return { job: res.body, states };
      await sleep(25);
    }
    throw new Error(`job ${id} did not finish: ${states.join(' -> ')}`);
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'kb-v4-'));
    files = join(work, 'files');
    await mkdir(join(files, 'in'), { recursive: true });
    for (const name of await readdir(INPUTS)) await copyFile(join(INPUTS, name), join(files, 'in', name));
    await mkdir(join(files, 'many'), { recursive: true });
    for (let i = 0; i < 300; i++)
      await copyFile(join(INPUTS, 'img1.json'), join(files, 'many', `r${i}.json`));
    server = await startServe(join(work, 'data'), LOOPBACK_S3, undefined, ['--local-root', files]);
    key = server.printedKey as string;

    const announced = await call<{ metadata: { id: string } }>('POST', '/ml/v4/models?version=2020-09-01', {
      name: 'digits',
      type: 'tensorflow_2.7',
      software_spec: { name: 'tensorflow_rt22.1-py3.9' },
    });
    expect(announced.status).toBe(201);
    modelId = announced.body.metadata.id;
    const upload = await fetch(`${server.url}/ml/v4/models/${modelId}/content?content_format=native`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
      body: await readFile(MODEL),
    });
    expect(upload.status).toBe(201);
    const deploy = async (kind: 'online' | 'batch') => {
      const res = await call<{ metadata: { id: string }; entity: { status: { state: string } } }>(
        'POST',
        '/ml/v4/deployments',
        { name: kind, asset: { id: modelId }, [kind]: {} },
      );
      expect(res.status).toBe(202);
      expect(res.body.entity.status.state).toBe('ready');
      return res.body.metadata.id;
    };
    onlineId = await deploy('online');
    batchId = await deploy('batch');
  }, 120_000);

  afterAll(async () => {
    await server?.kill();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the stored model and its deployments are listed (by asset_id too)', async () => {
    const model = await call<{ entity: { content_import_state: string; type: string } }>(
      'GET',
      `/ml/v4/models/${modelId}`,
    );
    expect(model.body.entity).toMatchObject({ content_import_state: 'completed', type: 'tensorflow_2.7' });
    const listed = await call<{ resources: { metadata: { id: string } }[] }>(
      'GET',
      `/ml/v4/deployments?asset_id=${modelId}`,
    );
    expect(listed.body.resources.map((d) => d.metadata.id).sort()).toEqual([onlineId, batchId].sort());
    const none = await call<{ total_count: number }>('GET', '/ml/v4/deployments?asset_id=no-such-model');
    expect(none.body.total_count).toBe(0);
  });

  it('inline input_data: queued → … → completed, the predictions in the job record equal /predictions', async () => {
    const { values } = JSON.parse(await readFile(join(INPUTS, 'img1.json'), 'utf8'));
    const online = await call<{ predictions: { fields: string[]; values: unknown[][] }[] }>(
      'POST',
      `/ml/v4/deployments/${onlineId}/predictions`,
      { input_data: [{ values }] },
    );
    expect(online.status).toBe(200);
    expect(online.body.predictions[0].values[0][1]).toBe(7);
    const created = await call<Job>('POST', '/ml/v4/deployment_jobs', {
      name: 'inline',
      deployment: { id: batchId },
      scoring: { input_data: [{ values }, { values }] },
    });
    expect(created.status).toBe(202);
    expect(created.body.entity.scoring.status.state).toBe('queued');
    const { job, states } = await finish(created.body.metadata.id, 'queued');
    expect(states.at(-1)).toBe('completed');
    expect(job.metadata.name).toBe('inline');
    expect(job.entity.scoring.predictions).toEqual([online.body.predictions[0], online.body.predictions[0]]);
  });

  it('a local folder → one output per input under the output folder; the list filters by state and deployment', async () => {
    const created = await call<Job>('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: batchId },
      scoring: {
        input_data_references: [{ type: 'fs', location: { path: join(files, 'in') } }],
        output_data_reference: { type: 'fs', location: { path: join(files, 'out') } },
      },
    });
    expect(created.status).toBe(202);
    const { job, states } = await finish(created.body.metadata.id, 'queued');
    expect(states).toEqual(expect.arrayContaining(['queued', 'completed']));
    expect(job.entity.scoring.status.state).toBe('completed');
    const outputs = (await readdir(join(files, 'out'))).filter((f) => f.endsWith('.json')).sort();
    expect(outputs).toEqual((await readdir(INPUTS)).sort());
    const completed = await call<{ resources: Job[] }>(
      'GET',
      `/ml/v4/deployment_jobs?state=completed&deployment_id=${batchId}`,
    );
    expect(completed.body.resources.map((j) => j.metadata.id)).toContain(job.metadata.id);
    expect(completed.body.resources.every((j) => j.entity.scoring.status.state === 'completed')).toBe(true);
    const other = await call<{ resources: Job[] }>('GET', `/ml/v4/deployment_jobs?deployment_id=${onlineId}`);
    expect(other.body.resources).toEqual([]);
  });

  it('a queued job canceled by DELETE; hard_delete removes the record; a missing folder fails the job', async () => {
    const big = await call<Job>('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: batchId },
      scoring: {
        input_data_references: [{ type: 'fs', location: { path: join(files, 'many') } }],
        output_data_reference: { type: 'fs', location: { path: join(files, 'many-out') } },
      },
    });
    const queued = await call<Job>('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: batchId },
      scoring: { input_data: [{ values: [[0]] }] },
    });
    expect(queued.body.entity.scoring.status.state).toBe('queued');
    const canceled = await call('DELETE', `/ml/v4/deployment_jobs/${queued.body.metadata.id}`);
    expect(canceled.status).toBe(204);
    const after = await call<Job>('GET', `/ml/v4/deployment_jobs/${queued.body.metadata.id}`);
    expect(after.body.entity.scoring.status.state).toBe('canceled');
    expect((await finish(big.body.metadata.id, 'queued')).job.entity.scoring.status.state).toBe('completed');

    const hard = await call('DELETE', `/ml/v4/deployment_jobs/${queued.body.metadata.id}?hard_delete=true`);
    expect(hard.status).toBe(204);
    expect((await call('GET', `/ml/v4/deployment_jobs/${queued.body.metadata.id}`)).status).toBe(404);

    const missing = await call<Job>('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: batchId },
      scoring: {
        input_data_references: [{ type: 'fs', location: { path: join(files, 'missing') } }],
        output_data_reference: { type: 'fs', location: { path: join(files, 'missing-out') } },
      },
    });
    expect(missing.status).toBe(202);
    const { job } = await finish(missing.body.metadata.id, 'queued');
    expect(job.entity.scoring.status.state).toBe('failed');
    expect(job.entity.scoring.status.failure?.errors[0].message).toContain('missing');
  });

  it('S3 keys in references are masked in the job record and never echoed', async () => {
    const secret = 'very-secret-key-0123456789abcdef';
    const connection = {
      endpoint_url: 'http://127.0.0.1:9',
      access_key_id: 'AKIA-TEST-ID',
      secret_access_key: secret,
    };
    const created = await call<Job>('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: batchId },
      scoring: {
        input_data_references: [{ type: 's3', connection, location: { bucket: 'b', path: 'in/' } }],
        output_data_reference: { type: 's3', connection, location: { bucket: 'b', path: 'out/' } },
      },
    });
    expect(created.status).toBe(202);
    const shown = await call<Job>('GET', `/ml/v4/deployment_jobs/${created.body.metadata.id}`);
    expect(shown.text).not.toContain(secret);
    expect(shown.text).not.toContain('AKIA-TEST-ID');
    expect(shown.body.entity.scoring.input_data_references?.[0].connection).toEqual({
      endpoint_url: 'http://127.0.0.1:9',
      access_key_id: '********',
      secret_access_key: '********',
    });
    expect(
      (await call('DELETE', `/ml/v4/deployment_jobs/${created.body.metadata.id}?hard_delete=true`)).status,
    ).toBe(204);
    const connections = await call<{ items: { name: string }[] }>('GET', '/api/v1/connections');
    const names = connections.body.items.map((c) => c.name);
    // the job stored its keys as two connections of its own; the hard delete removed them
    expect(names.filter((n) => n.includes(created.body.metadata.id))).toEqual([]);
    expect(names.some((n) => n.startsWith('v4-job-'))).toBe(true);
    expect(server.stdout() + server.stderr()).not.toContain(secret);
  });

  it('refusals: 400 for a body off the schema, 422 for an online deployment or both inputs, 404 for an unknown job', async () => {
    const noDeployment = await call<{ errors: { code: string }[] }>('POST', '/ml/v4/deployment_jobs', {
      scoring: {},
    });
    expect(noDeployment.status).toBe(400);
    expect(noDeployment.body.errors[0].code).toBe('VALIDATION_FAILED');
    const online = await call('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: onlineId },
      scoring: { input_data: [{ values: [[0]] }] },
    });
    expect(online.status).toBe(422);
    const both = await call('POST', '/ml/v4/deployment_jobs', {
      deployment: { id: batchId },
      scoring: {
        input_data: [{ values: [[0]] }],
        input_data_references: [{ type: 'fs', location: { path: join(files, 'in') } }],
      },
    });
    expect(both.status).toBe(422);
    expect((await call('GET', '/ml/v4/deployment_jobs/no-such-job')).status).toBe(404);
    expect((await call('DELETE', '/ml/v4/deployment_jobs/no-such-job')).status).toBe(404);
  });
});
