/**
 * The checks before saving (`POST /api/v1/deployments/validate`, and the cheap ones enforced by create), the
 * rerun modes, the job downloads and the Jobs listing's filters: a real app, real SQLite, real folders, the
 * example MNIST model.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_INPUT, exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

interface Check {
  id: string;
  verdict: string;
  message: string;
}

describe('/api/v1 validate, rerun modes, downloads, job filters', () => {
  let h: Harness;
  let folder: string;
  const input = readFileSync(EXAMPLE_INPUT);
  const validate = async (source: object, target: object, extra: object = {}) => {
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments/validate',
      payload: { name: 'check', type: 'batch', model: 'digits', source, target, ...extra },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const check = (id: string) => body.checks.find((c: Check) => c.id === id) as Check;
    return { body, check };
  };
  const deployments = async () => (await h.call({ method: 'GET', url: '/api/v1/deployments' })).json().total;

  beforeAll(async () => {
    h = await startHarness();
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', file: ['mnist-cnn.keras', exampleModelBytes()] }),
    });
    expect(res.statusCode).toBe(201);
    folder = join(h.dir, 'files');
    mkdirSync(join(folder, 'in'), { recursive: true });
    for (let i = 0; i < 6; i += 1) writeFileSync(join(folder, 'in', `img${i}.json`), input);
    writeFileSync(join(folder, 'in', 'broken.json'), '{"values": [1, 2');
    mkdirSync(join(folder, 'good'), { recursive: true });
    for (let i = 0; i < 10; i += 1) writeFileSync(join(folder, 'good', `img${i}.json`), input);
    mkdirSync(join(folder, 'wrong'), { recursive: true });
    for (let i = 0; i < 3; i += 1)
      writeFileSync(join(folder, 'wrong', `w${i}.json`), '{"values": [[1, 2, 3]]}');
    writeFileSync(join(folder, 'a-file'), 'not a folder');
    const conn = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'local', type: 'local', path: folder },
    });
    expect(conn.statusCode).toBe(201);
  });
  afterAll(() => h.close());

  it('a good deployment passes every check, with the inputs, a sample output and an estimate; nothing is saved or written', async () => {
    const before = await deployments();
    const { body, check } = await validate(
      { connection: 'local', bucket: 'good' },
      { connection: 'local', bucket: 'out-good' },
    );
    expect(body.ok).toBe(true);
    expect(body.checks.map((c: Check) => [c.id, c.verdict])).toEqual([
      ['settings', 'pass'],
      ['overlap', 'pass'],
      ['source', 'pass'],
      ['target', 'pass'],
      ['shape', 'pass'],
      ['estimate', 'pass'],
    ]);
    expect(check('source').message).toBe('10 input file(s) found (10 json).');
    expect(check('shape').message).toMatch(
      /^The first 8 input\(s\) fit the model's input \[any, 28, 28, 1\]: 8 record\(s\) scored\.$/,
    );
    expect(check('target').message).toMatch(/does not exist yet: the job will create it/);
    expect(body.inputs).toEqual({
      count: 10,
      complete: true,
      by_format: [{ format: 'json', files: 10, bytes: 10 * input.length }],
    });
    expect(body.sample.key).toBe('img0.json');
    expect(JSON.parse(body.sample.text)['img0.json'].fields).toEqual([
      'prediction',
      'prediction_classes',
      'probability',
    ]);
    expect(body.estimate.seconds).toBeGreaterThan(0);
    expect(body.estimate.records_per_second).toBeGreaterThan(0);
    expect(await deployments()).toBe(before);
    expect(readdirSync(folder)).not.toContain('out-good');
    // An existing target folder gets a probe, deleted at once.
    mkdirSync(join(folder, 'out-there'));
    const again = await validate(
      { connection: 'local', bucket: 'good' },
      { connection: 'local', bucket: 'out-there' },
    );
    expect(again.check('target')).toMatchObject({
      verdict: 'pass',
      message: `The folder ${join(folder, 'out-there')} is writable.`,
    });
    expect(readdirSync(join(folder, 'out-there', '_keras-batch'))).toEqual([]);
  });

  it('an overlap written another way (root + prefix in/ as source, sub-folder in + prefix x/ as target) fails the check, and create refuses it', async () => {
    const source = { connection: 'local', prefix: 'in/' };
    const target = { connection: 'local', bucket: 'in', prefix: 'x/' };
    const { body, check } = await validate(source, target);
    expect(body.ok).toBe(false);
    expect(check('overlap')).toEqual({
      id: 'overlap',
      label: 'Source and target apart',
      verdict: 'fail',
      message: `The target ${join(folder, 'in', 'x')} overlaps the source ${join(folder, 'in')}: outputs would be read back as inputs. Choose a target outside the source.`,
    });
    const before = await deployments();
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: { name: 'loop', type: 'batch', model: 'digits', source, target },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('SERVICE_OVERLAP');
    expect(await deployments()).toBe(before);
  });

  it('a source prefix that does not exist fails the check; create refuses it with 422 naming the folder', async () => {
    const source = { connection: 'local', bucket: 'in', prefix: 'nope' };
    const target = { connection: 'local', bucket: 'out-nope' };
    const { body, check } = await validate(source, target);
    expect(body.ok).toBe(false);
    expect(check('source')).toMatchObject({
      verdict: 'fail',
      message: `The source folder ${join(folder, 'in', 'nope')} does not exist.`,
    });
    expect(check('shape').verdict).toBe('skip');
    const before = await deployments();
    const res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: { name: 'nothing', type: 'batch', model: 'digits', source, target },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({
      code: 'SERVICE_SOURCE_EMPTY',
      message: `The source folder ${join(folder, 'in', 'nope')} does not exist.`,
    });
    expect(await deployments()).toBe(before);
    // An empty folder: the same refusal, in its words.
    mkdirSync(join(folder, 'empty'));
    const empty = await validate({ connection: 'local', bucket: 'empty' }, target);
    expect(empty.check('source')).toMatchObject({
      verdict: 'fail',
      message: `No input files in the folder ${join(folder, 'empty')}: check the bucket, folder and prefix.`,
    });
  });

  it('an unwritable target (a file where the folder would be) and inputs of the wrong shape are each answered', async () => {
    const bad = await validate(
      { connection: 'local', bucket: 'good' },
      { connection: 'local', bucket: 'a-file', prefix: 'out' },
    );
    expect(bad.body.ok).toBe(false);
    expect(bad.check('target')).toMatchObject({
      verdict: 'fail',
      message: `The target ${join(folder, 'a-file', 'out')} cannot be a folder: ${join(folder, 'a-file')} is a file.`,
    });
    const wrong = await validate(
      { connection: 'local', bucket: 'wrong' },
      { connection: 'local', bucket: 'out-wrong' },
    );
    expect(wrong.body.ok).toBe(false);
    expect(wrong.check('shape').verdict).toBe('fail');
    expect(wrong.check('shape').message).toMatch(
      /^None of the first 3 input\(s\) could be scored\. w\d\.json: .*shape/,
    );
    expect(wrong.body.estimate).toBeNull();
    // A setting the server refuses is the settings check's answer.
    const unknown = await h.call({
      method: 'POST',
      url: '/api/v1/deployments/validate',
      payload: {
        name: 'x',
        type: 'batch',
        model: 'no-such-model',
        source: { connection: 'local' },
        target: { connection: 'local', bucket: 'o' },
      },
    });
    expect(unknown.json().checks).toEqual([
      { id: 'settings', label: 'Settings', verdict: 'fail', message: expect.stringMatching(/no-such-model/) },
    ]);
  });

  it('rerun modes: only the failed inputs scores just those; resume skips the inputs already scored; downloads and filters', async () => {
    const created = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'nightly-digits',
        type: 'batch',
        model: 'digits',
        source: { connection: 'local', bucket: 'in' },
        target: { connection: 'local', bucket: 'out' },
      },
    });
    expect(created.statusCode).toBe(201);
    await h.service.jobs.idle();
    const first = (await h.call({ method: 'GET', url: `/api/v1/jobs/${created.json().last_job.id}` })).json();
    expect(first).toMatchObject({
      status: 'completed',
      mode: 'all',
      rerun_of: null,
      counts: { total: 7, scored: 6, failed: 1 },
    });
    expect(first.history).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'completed', scored: 6, failed: 1, skipped: 0 }),
    ]);

    // downloads
    const csv = await h.call({ method: 'GET', url: `/api/v1/jobs/${first.id}/failures.csv` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="job-.*-failures\.csv"/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('file,stage,code,reason');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^broken\.json,parse,/);
    const jsonl = await h.call({ method: 'GET', url: `/api/v1/jobs/${first.id}/failures.jsonl` });
    expect(jsonl.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(
      jsonl.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([expect.objectContaining({ file: 'broken.json', stage: 'parse' })]);
    const report = await h.call({ method: 'GET', url: `/api/v1/jobs/${first.id}/report` });
    expect(report.json()).toMatchObject({
      job: { id: first.id, status: 'completed' },
      deployment: { name: 'nightly-digits' },
      failures_total: 1,
    });

    // only the failed inputs: fix the broken one, rerun just it
    writeFileSync(join(folder, 'in', 'broken.json'), input);
    rmSync(join(folder, 'out', 'img0.json'));
    const failedOnly = await h.call({ method: 'POST', url: `/api/v1/jobs/${first.id}/rerun?mode=failed` });
    expect(failedOnly.statusCode).toBe(202);
    await h.service.jobs.idle();
    const second = (await h.call({ method: 'GET', url: `/api/v1/jobs/${failedOnly.json().id}` })).json();
    expect(second).toMatchObject({
      status: 'completed',
      mode: 'failed',
      rerun_of: first.id,
      counts: { total: 1, scored: 1, failed: 0, skipped: 0 },
    });
    expect(readdirSync(join(folder, 'out'))).toContain('broken.json');
    expect(readdirSync(join(folder, 'out'))).not.toContain('img0.json'); // not rescored

    // resume: skips what this model already scored, scores what is missing
    const resumed = await h.call({ method: 'POST', url: `/api/v1/jobs/${second.id}/rerun?mode=resume` });
    await h.service.jobs.idle();
    const third = (await h.call({ method: 'GET', url: `/api/v1/jobs/${resumed.json().id}` })).json();
    expect(third).toMatchObject({
      status: 'completed',
      mode: 'resume',
      counts: { total: 7, scored: 1, skipped: 6, failed: 0 },
    });
    expect(readdirSync(join(folder, 'out'))).toContain('img0.json');
    // a job without failures has none to rerun
    const none = await h.call({ method: 'POST', url: `/api/v1/jobs/${third.id}/rerun?mode=failed` });
    expect(none.statusCode).toBe(422);
    expect(none.json().error.message).toMatch(/has no failed inputs to rerun/);

    // filters: search by deployment name and id start, status, time
    const list = async (query: string) =>
      (await h.call({ method: 'GET', url: `/api/v1/jobs?${query}` })).json();
    expect((await list('q=NIGHTLY')).total).toBe(3);
    expect((await list(`q=${first.id.slice(0, 8)}`)).items.map((j: { id: string }) => j.id)).toEqual([
      first.id,
    ]);
    expect((await list('q=nobody')).total).toBe(0);
    expect((await list('status=completed&q=nightly')).total).toBe(3);
    expect((await list('status=failed&q=nightly')).total).toBe(0);
    expect(
      (await list(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).total,
    ).toBe(0);
    expect(
      (await list(`until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&q=nightly`))
        .total,
    ).toBe(3);
    const badTime = await h.call({ method: 'GET', url: '/api/v1/jobs?since=yesterday' });
    expect(badTime.statusCode).toBe(422);
  });
});
