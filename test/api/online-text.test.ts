/**
 * A text model through the service: uploaded (validated, compiled), a batch deployment over text files, and
 * online scoring of string records — the same rows as the batch job; numbers for the string input refused.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { type Harness, multipart, startHarness } from './api-harness.js';

const modelBytes = () =>
  new Uint8Array(readFileSync(join(repoRoot, 'fixtures', 'models', 'text_classifier.keras')));

describe('a text model in the service', () => {
  let h: Harness;
  const base = '/v3/wml_instances/inst-1/published_models';
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('batch and online scoring take string records', async () => {
    const m = (
      await h.call({
        method: 'POST',
        url: base,
        ...multipart({ name: 'sentiment', model: ['text_classifier.keras', modelBytes()] }),
      })
    ).json();
    expect(m.metadata.guid).toBeTruthy();
    const dir = join(h.dir, 'text');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'review.json'), JSON.stringify({ values: 'The cat sat on the mat!' }));
    const res = await h.call({
      method: 'POST',
      url: `${base}/${m.metadata.guid}/deployments`,
      payload: {
        name: 'reviews',
        type: 'batch',
        input: { type: 'local', source: { path: join(dir, 'in') } },
        output: { type: 'local', target: { path: join(dir, 'out') } },
      },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    await h.service.jobs.idle();
    const batch = JSON.parse(readFileSync(join(dir, 'out', 'review.json'), 'utf8'))['review.json'].values;

    const online = await h.call({
      method: 'POST',
      url: `${d.metadata.url}/online`,
      payload: { values: ['The cat sat on the mat!', 'great, GREAT café'] },
    });
    expect(online.statusCode).toBe(200);
    const rows = online.json().values;
    expect(rows.length).toBe(2);
    for (const [k, v] of (rows[0][0] as number[]).entries())
      expect(Math.abs(v - batch[0][k])).toBeLessThan(1e-6);
    expect(rows[0][1]).toBe(batch[1]);

    const wrong = await h.call({
      method: 'POST',
      url: `${d.metadata.url}/online`,
      payload: { values: [[1]] },
    });
    expect(wrong.statusCode).toBe(422);
    expect(JSON.stringify(wrong.json())).toMatch(/not a string/);
  });
});
