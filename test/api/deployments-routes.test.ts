import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_INPUT,
  exampleModelBytes,
  exampleValues,
  type Harness,
  multipart,
  startHarness,
} from './api-harness.js';

describe('/api/v1 deployments, jobs and online scoring', () => {
  let h: Harness;
  let modelId: string;
  let folder: string;
  beforeAll(async () => {
    h = await startHarness();
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', file: ['mnist-cnn.keras', exampleModelBytes()] }),
    });
    modelId = res.json().model.id;
    folder = join(h.dir, 'buckets');
    mkdirSync(join(folder, 'in'), { recursive: true });
    const input = readFileSync(EXAMPLE_INPUT);
    for (let i = 0; i < 6; i += 1) writeFileSync(join(folder, 'in', `img${i}.json`), input);
    writeFileSync(join(folder, 'in', 'broken.json'), '{"values": [1, 2');
    const conn = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'local', type: 'local', path: folder },
    });
    expect(conn.statusCode).toBe(201);
  });
  afterAll(() => h.close());

  it('a batch deployment starts a job at once; the job completes with counts, failures paged; rerun makes a new job', async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'nightly',
        description: 'd',
        type: 'batch',
        model: 'digits',
        source: { connection: 'local', bucket: 'in' },
        target: { connection: 'local', bucket: 'out' },
        options: { batch_size: 4, max_failures: '50%' },
      },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d).toMatchObject({
      name: 'nightly',
      type: 'batch',
      model_id: modelId,
      model_version: 1,
      options: { batch_size: 4, max_failures: '50%' },
    });
    expect(['queued', 'running']).toContain(d.last_job.status);
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}` });
    const job = res.json();
    expect(job).toMatchObject({
      status: 'completed',
      wml_status: 'SUCCESS',
      counts: { total: 7, scored: 6, failed: 1, skipped: 0, records: 6 },
      progress: 1,
      listing_done: true,
      attempts: 1,
    });
    expect(job.files_per_second).toBeGreaterThan(0);
    expect(
      readdirSync(join(folder, 'out'))
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(['img0.json', 'img1.json', 'img2.json', 'img3.json', 'img4.json', 'img5.json']);

    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${job.id}/failures?limit=1` });
    expect(res.json()).toMatchObject({ total: 1, items: [{ file: 'broken.json', stage: 'parse' }] });

    res = await h.call({ method: 'POST', url: `/api/v1/jobs/${job.id}/cancel` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('SERVICE_JOB_FINAL');

    res = await h.call({ method: 'POST', url: `/api/v1/jobs/${job.id}/rerun` });
    expect(res.statusCode).toBe(202);
    const again = res.json();
    expect(again.id).not.toBe(job.id);
    res = await h.call({ method: 'POST', url: `/api/v1/deployments/${d.id}/run` });
    expect(res.statusCode).toBe(202);
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: `/api/v1/jobs?deployment=${d.id}&status=completed` });
    expect(res.json().total).toBe(3);
    res = await h.call({ method: 'GET', url: '/api/v1/deployments' });
    expect(res.json().items[0]).toMatchObject({ id: d.id, last_job: { status: 'completed' } });
    res = await h.call({ method: 'GET', url: `/api/v1/deployments?model=digits` });
    expect(res.json().total).toBe(1);

    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${job.id}/events` });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.body).toMatch(/^event: job\ndata: \{.*"status":"completed"/);

    res = await h.call({ method: 'DELETE', url: `/api/v1/connections/local` });
    expect(res.statusCode).toBe(409);
    res = await h.call({ method: 'DELETE', url: `/api/v1/deployments/${d.id}` });
    expect(res.statusCode).toBe(204);
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${job.id}` });
    expect(res.statusCode).toBe(404);
  });

  it('a queued job can be canceled; the events stream reports each change and ends', async () => {
    const deps = await Promise.all(
      ['a', 'b'].map((n) =>
        h.call({
          method: 'POST',
          url: '/api/v1/deployments',
          payload: {
            name: n,
            type: 'batch',
            model: modelId,
            source: { connection: 'local', bucket: 'in' },
            target: { connection: 'local', bucket: `out-${n}` },
          },
        }),
      ),
    );
    const second = deps[1].json().last_job.id;
    let res = await h.call({ method: 'POST', url: `/api/v1/jobs/${second}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'canceled', wml_status: 'FAILED' });
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${deps[0].json().last_job.id}` });
    expect(res.json().status).toBe('completed');
  });

  it('a deployment whose target overlaps its source is refused with 409 before anything is saved', async () => {
    const before = (await h.call({ method: 'GET', url: '/api/v1/deployments' })).json().total;
    const refuse = async (source: object, target: object) => {
      const res = await h.call({
        method: 'POST',
        url: '/api/v1/deployments',
        payload: { name: 'loop', type: 'batch', model: modelId, source, target },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('SERVICE_OVERLAP');
      expect(res.json().error.message).toMatch(/overlaps the source/);
    };
    await refuse({ connection: 'local', bucket: 'in' }, { connection: 'local', bucket: 'in', prefix: 'out' });
    await refuse({ connection: 'local', bucket: 'in', prefix: 'a/b' }, { connection: 'local', bucket: 'in' });
    // Another connection to a folder inside the source's folder: the service compares real locations.
    const inner = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'nested', type: 'local', path: join(folder, 'in', 'deeper') },
    });
    expect(inner.statusCode).toBe(201);
    await refuse({ connection: 'local', bucket: 'in' }, { connection: 'nested' });
    expect((await h.call({ method: 'GET', url: '/api/v1/deployments' })).json().total).toBe(before);
    // (a source must hold files: a deployment whose job would fail at once is refused)
    mkdirSync(join(folder, 'two', 'a'), { recursive: true });
    writeFileSync(join(folder, 'two', 'a', 'x.json'), readFileSync(EXAMPLE_INPUT));
    const apart = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'apart',
        type: 'batch',
        model: modelId,
        start: false,
        source: { connection: 'local', bucket: 'two', prefix: 'a' },
        target: { connection: 'local', bucket: 'two', prefix: 'ab' },
      },
    });
    expect(apart.statusCode).toBe(201);
  });

  it('online scoring: one record with or without the batch axis, or several; bad shapes are 422', async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: { name: 'live', type: 'online', model: 'digits' },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id;
    const values = exampleValues();
    res = await h.call({ method: 'POST', url: `/api/v1/deployments/${id}/online`, payload: { values } });
    expect(res.statusCode).toBe(200);
    const one = res.json();
    expect(one.fields).toEqual(['prediction', 'prediction_classes', 'probability']);
    expect(one.values).toHaveLength(1);
    const [pred, cls, prob] = one.values[0];
    expect(pred).toHaveLength(10);
    expect(cls).toBe(pred.indexOf(Math.max(...pred)));
    expect(prob).toEqual(pred);
    res = await h.call({
      method: 'POST',
      url: `/api/v1/deployments/${id}/online`,
      payload: { values: values[0], fields: ['image'] },
    });
    expect(res.json().values).toEqual(one.values);
    res = await h.call({
      method: 'POST',
      url: `/api/v1/deployments/${id}/online`,
      payload: { values: [values[0], values[0], values[0]] },
    });
    expect(res.json().values).toEqual([one.values[0], one.values[0], one.values[0]]);
    res = await h.call({
      method: 'POST',
      url: `/api/v1/deployments/${id}/online`,
      payload: { values: [[1, 2, 3]] },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('INPUT_WRONG_SHAPE');
    res = await h.call({
      method: 'POST',
      url: `/api/v1/deployments/${id}/online`,
      payload: { values: [['a']] },
    });
    expect(res.statusCode).toBe(422);
    res = await h.call({ method: 'POST', url: `/api/v1/deployments/${id}/online`, payload: { records: [] } });
    expect(res.json().error.message).toBe('body: missing field "values"');
    res = await h.call({
      method: 'POST',
      url: `/api/v1/deployments/${id}/online`,
      payload: { values, records: [] },
    });
    expect(res.json().error.message).toBe('body: unknown field "records"');
    res = await h.call({ method: 'POST', url: `/api/v1/deployments/${id}/run` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('SERVICE_NOT_BATCH');
    res = await h.call({ method: 'GET', url: `/api/v1/deployments/${id}` });
    expect(res.json()).toMatchObject({ type: 'online', source: null, target: null, last_job: null });
  });

  it('a deployment with input_format jsonl and id_field scores JSON Lines; bad options are 400', async () => {
    mkdirSync(join(folder, 'jl'), { recursive: true });
    const values = JSON.stringify(JSON.parse(readFileSync(EXAMPLE_INPUT, 'utf8')).values);
    writeFileSync(
      join(folder, 'jl', 'a.jsonl'),
      `{"k": "x1", "values": ${values}}\nnot json\n{"k": "x3", "values": ${values}}\n`,
    );
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'lines',
        type: 'batch',
        model: 'digits',
        source: { connection: 'local', bucket: 'jl' },
        target: { connection: 'local', bucket: 'jl-out' },
        options: { input_format: 'jsonl', id_field: 'k' },
      },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d.options).toEqual({ input_format: 'jsonl', id_field: 'k' });
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}` });
    expect(res.json()).toMatchObject({ status: 'completed', counts: { scored: 1, failed: 0, records: 2 } });
    expect(res.json().status_message).toMatch(/1 record\(s\) failed in scored files/);
    const lines = readFileSync(join(folder, 'jl-out', 'a.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id ?? l.line)).toEqual(['x1', 2, 'x3']);
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}/failures` });
    expect(res.json().items[0]).toMatchObject({ file: 'a.jsonl', stage: 'parse' });
    expect(res.json().items[0].reason).toMatch(/^line 2: not valid JSON/);
    res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'bad',
        type: 'batch',
        model: 'digits',
        source: { connection: 'local', bucket: 'jl' },
        target: { connection: 'local', bucket: 'jl-out2' },
        options: { input_format: 'parquet' },
      },
    });
    expect(res.statusCode).toBe(400);
  });
});
