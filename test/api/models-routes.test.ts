import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

describe('/api/v1/models', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('upload, list, show by id or name, versions, delete', async () => {
    const bytes = exampleModelBytes();
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', description: 'MNIST', author: 'ann', file: ['mnist-cnn.keras', bytes] }),
    });
    expect(res.statusCode).toBe(201);
    const { model, version } = res.json();
    expect(model).toMatchObject({
      name: 'digits',
      description: 'MNIST',
      author: 'ann',
      framework: 'keras',
      latest_version: 1,
    });
    expect(version).toMatchObject({
      version: 1,
      framework: 'keras',
      format: 'keras3-zip',
      size: bytes.length,
      file_name: 'mnist-cnn.keras',
    });
    expect(version.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(version.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(version.outputs[0].shape).toEqual([null, 10]);
    expect(version.layers.length).toBeGreaterThan(2);
    expect(version.layers[0]).toMatchObject({ class_name: 'Conv2D', output_shapes: [[null, 26, 26, 16]] });
    expect(version.layers.at(-1).output_shapes).toEqual([[null, 10]]);
    expect(version.params).toBeGreaterThan(1000);

    res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', file: ['m.keras', bytes] }),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('REPO_CONFLICT');

    res = await h.call({ method: 'GET', url: '/api/v1/models' });
    expect(res.json()).toMatchObject({ total: 1, limit: 50, offset: 0 });
    res = await h.call({ method: 'GET', url: '/api/v1/models/digits' });
    expect(res.json()).toMatchObject({ id: model.id, versions: [{ id: version.id }] });

    res = await h.call({
      method: 'POST',
      url: `/api/v1/models/${model.id}/versions`,
      ...multipart({ author: 'bob', file: ['v2.keras', bytes] }),
    });
    expect(res.statusCode).toBe(201);
    const v2 = res.json();
    expect(v2).toMatchObject({ version: 2, author: 'bob' });
    res = await h.call({ method: 'GET', url: `/api/v1/models/${model.id}/versions` });
    expect(res.json().items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    res = await h.call({ method: 'GET', url: `/api/v1/models/digits/versions/1` });
    expect(res.json().id).toBe(version.id);
    res = await h.call({ method: 'GET', url: `/api/v1/models/digits/versions/${v2.id}` });
    expect(res.json().version).toBe(2);
    res = await h.call({ method: 'GET', url: `/api/v1/models/digits/versions/7` });
    expect(res.statusCode).toBe(404);

    // The file as uploaded (queue workers download models here); a version has no architecture JSON here.
    res = await h.call({ method: 'GET', url: `/api/v1/models/${model.id}/versions/${version.id}/file` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toBe('attachment; filename="mnist-cnn.keras"');
    expect(Buffer.compare(res.rawPayload, Buffer.from(bytes))).toBe(0);
    res = await h.call({ method: 'GET', url: `/api/v1/models/digits/versions/1/file?part=architecture` });
    expect(res.statusCode).toBe(404);
    res = await h.call({ method: 'GET', url: `/api/v1/models/digits/versions/1/file?part=weights` });
    expect(res.statusCode).toBe(400);
    res = await h.app.inject({ method: 'GET', url: `/api/v1/models/digits/versions/1/file` });
    expect(res.statusCode).toBe(401);

    res = await h.call({ method: 'DELETE', url: `/api/v1/models/${model.id}` });
    expect(res.statusCode).toBe(204);
    res = await h.call({ method: 'GET', url: `/api/v1/models/${model.id}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'REPO_NOT_FOUND', message: `model "${model.id}" not found` });
  });

  it("a file that does not load is refused with the loader's error (422), and nothing is stored", async () => {
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'junk', file: ['junk.h5', new TextEncoder().encode('not a model at all')] }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('SERVICE_MODEL_REJECTED');
    expect(res.json().error.message).toMatch(/the model file was refused \(KERAS_/);
    res = await h.call({ method: 'GET', url: '/api/v1/models/junk' });
    expect(res.statusCode).toBe(404);
  });

  it('upload fields are checked: a missing file, an unknown field or an unknown file part are 400', async () => {
    let res = await h.call({ method: 'POST', url: '/api/v1/models', ...multipart({ name: 'x' }) });
    expect(res.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'body: missing field "file"',
    });
    res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'x', colour: 'red', file: ['m.keras', exampleModelBytes()] }),
    });
    expect(res.json().error.message).toBe('body: unknown field "colour"');
    res = await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'x', weights: ['w.h5', new Uint8Array(4)] }),
    });
    expect(res.json().error.message).toMatch(/unknown file field "weights"/);
  });
});
