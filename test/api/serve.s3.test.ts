/**
 * End to end: `keras-batch serve` as a child process, a real MNIST model uploaded through the WML v3 route
 * as the seed's API example does, a batch deployment between two buckets of the S3 test server, polled until
 * SUCCESS, every output checked, then a record scored online. Then a crash mid-job (SIGKILL) and a restart:
 * the job resumes and ends with every file scored once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listEntries } from '../../src/storage/index.js';
import { type Mnist, readMnist } from '../helpers/mnist.js';
import { mnistInputText } from '../helpers/mnist-files.js';
import { type S3TestServer, startS3Server, testBucket } from '../helpers/s3-server.js';
import { api, LOOPBACK_S3, type ServeProcess, startServe } from '../helpers/serve-process.js';
import { describeShared, sharedDir } from '../helpers/shared.js';

const MODEL = 'mnist-cnn-keras2.0.9-allysonaberg.h5';
const layout = { shape: 'image', scale: 'div255' } as const;

describeShared('keras-batch serve end to end (S3)', () => {
  let s3: S3TestServer;
  let mnist: Mnist;
  const work = mkdtempSync(join(tmpdir(), 'kb-e2e-'));
  const servers: ServeProcess[] = [];
  beforeAll(async () => {
    s3 = await startS3Server();
    mnist = readMnist(sharedDir() as string);
  });
  afterAll(async () => {
    for (const s of servers) await s.kill().catch(() => undefined);
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const bucket = (name: string) => testBucket(s3, name);
  const fill = async (name: string, count: number) => {
    await s3.createBucket(name);
    const driver = bucket(name);
    for (let first = 0; first < count; first += 32)
      await Promise.all(
        Array.from({ length: Math.min(32, count - first) }, (_, j) =>
          driver.put(`img${first + j}.json`, mnistInputText(mnist, first + j, layout)),
        ),
      );
    await driver.close();
  };
  const upload = async (server: ServeProcess, key: string) => {
    const form = new FormData();
    form.set(
      'meta',
      JSON.stringify({ name: 'keras-mnist', description: 'MNIST CNN', author: { name: 'e2e' } }),
    );
    form.set('model', new Blob([readFileSync(join(sharedDir() as string, 'keras-models', MODEL))]), MODEL);
    const res = await api<{ metadata: { guid: string } }>(
      server,
      key,
      'POST',
      '/v3/wml_instances/e2e/published_models',
      form,
    );
    expect(res.status).toBe(201);
    return res.body.metadata.guid;
  };
  const payload = (name: string, source: string, target: string, options?: object) => {
    const connection = { access_key: s3.accessKeyId, secret_key: s3.secretAccessKey, url: s3.endpoint };
    return {
      name,
      description: 'batch scoring of MNIST digits',
      type: 'batch',
      input: { type: 'cloudobjectstorage', source: { bucket: source }, connection },
      output: { type: 'cloudobjectstorage', target: { bucket: target }, connection },
      ...(options ? { options } : {}),
    };
  };
  const outputs = async (name: string) => {
    const driver = bucket(name);
    const found = new Map<string, unknown>();
    for await (const e of listEntries(driver))
      if (!e.key.startsWith('_keras-batch/'))
        found.set(e.key, JSON.parse(new TextDecoder().decode((await driver.get(e.key)).body)));
    await driver.close();
    return found;
  };

  /** Whether the job has recorded outputs in its resume ledger yet (written every 2 s or 2,000 outputs). */
  const hasLedger = async (name: string) => {
    const driver = bucket(name);
    try {
      for await (const page of driver.list('_keras-batch/ledger/')) if (page.length > 0) return true;
      return false;
    } finally {
      await driver.close();
    }
  };

  it('upload through v3, batch deployment between two buckets until SUCCESS, every output checked, online scoring', async () => {
    const server = await startServe(join(work, 'data-1'), LOOPBACK_S3);
    servers.push(server);
    const key = server.printedKey as string;
    expect(key).toMatch(/^kb_/);
    const modelId = await upload(server, key);
    await fill('e2e-in', 40);
    await s3.createBucket('e2e-out');
    const created = await api<{ metadata: { url: string }; entity: { status: string } }>(
      server,
      key,
      'POST',
      `/v3/wml_instances/e2e/published_models/${modelId}/deployments`,
      payload('seed-batch', 'e2e-in', 'e2e-out'),
    );
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(s3.secretAccessKey);
    let status = created.body.entity.status;
    let detail:
      | { entity: { status: string; status_details: { job: { counts: Record<string, number> } } } }
      | undefined;
    for (let i = 0; i < 600 && status === 'INITIALIZING'; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      const res = await api<NonNullable<typeof detail>>(server, key, 'GET', created.body.metadata.url);
      detail = res.body;
      status = res.body.entity.status;
      expect(res.text).not.toContain(s3.secretAccessKey);
    }
    expect(status).toBe('SUCCESS');
    expect(detail?.entity.status_details.job.counts).toMatchObject({
      total: 40,
      scored: 40,
      failed: 0,
      skipped: 0,
    });
    const found = await outputs('e2e-out');
    expect([...found.keys()].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `img${i}.json`).sort());
    let correct = 0;
    for (const [name, value] of found) {
      const v = value as Record<string, { fields: string[]; values: [number[], number, number[]] }>;
      expect(Object.keys(v)).toEqual([name]);
      expect(v[name].fields).toEqual(['prediction', 'prediction_classes', 'probability']);
      expect(v[name].values[0]).toHaveLength(10);
      expect(v[name].values[2]).toEqual(v[name].values[0]);
      if (v[name].values[1] === mnist.labels[Number(name.slice(3, -5))]) correct += 1;
    }
    expect(correct).toBeGreaterThanOrEqual(38);

    const record = JSON.parse(mnistInputText(mnist, 3, layout)).values;
    const online = await api<{ fields: string[]; values: unknown[] }>(
      server,
      key,
      'POST',
      `${created.body.metadata.url}/online`,
      { values: record },
    );
    expect(online.status).toBe(200);
    expect(online.body.fields).toEqual(['prediction', 'prediction_classes', 'probability']);
    expect(online.body.values).toEqual([
      (found.get('img3.json') as Record<string, { values: unknown }>)['img3.json'].values,
    ]);
    await server.stop();
  });

  it('a server killed mid-job resumes the job on restart; every file ends scored once', async () => {
    const dataDir = join(work, 'data-2');
    const first = await startServe(dataDir, LOOPBACK_S3);
    servers.push(first);
    const key = first.printedKey as string;
    const modelId = await upload(first, key);
    const total = 1500;
    await fill('resume-in', total);
    await s3.createBucket('resume-out');
    const created = await api<{ entity: { status_details: { job: { guid: string } } } }>(
      first,
      key,
      'POST',
      `/v3/wml_instances/e2e/published_models/${modelId}/deployments`,
      payload('resume', 'resume-in', 'resume-out', { batch_size: 4, concurrency: 1 }),
    );
    const jobId = created.body.entity.status_details.job.guid;
    type Job = {
      status: string;
      interrupted: boolean;
      attempts: number;
      counts: { total: number; scored: number; failed: number; skipped: number };
    };
    let job: Job | undefined;
    for (let i = 0; i < 600; i += 1) {
      job = (await api<Job>(first, key, 'GET', `/api/v1/jobs/${jobId}`)).body;
      if (job.status !== 'running') break;
      // Kill only once some outputs are on record, so the restart has something to skip.
      if (job.counts.scored >= 100 && (await hasLedger('resume-out'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job?.status).toBe('running');
    await first.kill();
    const before = (await outputs('resume-out')).size;
    expect(before).toBeLessThan(total);

    const second = await startServe(dataDir, LOOPBACK_S3);
    servers.push(second);
    expect(second.printedKey).toBeNull();
    for (let i = 0; i < 1200; i += 1) {
      job = (await api<Job>(second, key, 'GET', `/api/v1/jobs/${jobId}`)).body;
      if (job.status !== 'running' && job.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(job).toMatchObject({ status: 'completed', interrupted: true, attempts: 2 });
    expect(job?.counts.failed).toBe(0);
    expect(job?.counts.total).toBe(total);
    expect((job?.counts.scored ?? 0) + (job?.counts.skipped ?? 0)).toBe(total);
    expect(job?.counts.skipped).toBeGreaterThan(0);
    const found = await outputs('resume-out');
    expect(found.size).toBe(total);
    for (const [name, value] of found) expect(Object.keys(value as object)).toEqual([name]);
    expect(second.stderr()).toContain('job was interrupted by a server stop: resuming it');
    await second.stop();
  });
});
