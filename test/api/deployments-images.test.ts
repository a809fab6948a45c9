/** A batch deployment with the image and NumPy options (input_format, resize, scale, npz_arrays). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/scoring/formats/npy.js';
import { EXAMPLE_INPUT, exampleModelBytes, type Harness, multipart, startHarness } from './api-harness.js';

describe('/api/v1 deployments of images and NumPy arrays', () => {
  let h: Harness;
  let folder: string;
  const pixels = Float32Array.from(
    JSON.parse(readFileSync(EXAMPLE_INPUT, 'utf8')).values.flat(4) as number[],
  );
  beforeAll(async () => {
    h = await startHarness();
    await h.call({
      method: 'POST',
      url: '/api/v1/models',
      ...multipart({ name: 'digits', file: ['mnist-cnn.keras', exampleModelBytes()] }),
    });
    folder = join(h.dir, 'buckets');
    mkdirSync(join(folder, 'in'), { recursive: true });
    const gray = Uint8Array.from(pixels, (v) => Math.round(v * 255));
    const png = await sharp(gray, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    writeFileSync(join(folder, 'in', 'digit.png'), png);
    writeFileSync(join(folder, 'in', 'cut.png'), png.subarray(0, 100));
    writeFileSync(
      join(folder, 'in', 'arrays.npz'),
      zipSync({ 'x.npy': encodeNpy(pixels, [1, 28, 28, 1]), 'y.npy': encodeNpy(Float32Array.of(1), [1]) }),
    );
    const conn = await h.call({
      method: 'POST',
      url: '/api/v1/connections',
      payload: { name: 'local', type: 'local', path: folder },
    });
    expect(conn.statusCode).toBe(201);
  });
  afterAll(() => h.close());

  it('scores images and .npz arrays with the options given; bad options are 400', async () => {
    const options = { resize: 'crop', scale: 'unit', npz_arrays: ['x'] };
    let res = await h.call({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: {
        name: 'pictures',
        type: 'batch',
        model: 'digits',
        source: { connection: 'local', bucket: 'in' },
        target: { connection: 'local', bucket: 'out' },
        options,
      },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d.options).toEqual(options);
    await h.service.jobs.idle();
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}` });
    expect(res.json()).toMatchObject({ counts: { scored: 2, failed: 1, records: 2 } });
    res = await h.call({ method: 'GET', url: `/api/v1/jobs/${d.last_job.id}/failures` });
    expect(res.json().items[0]).toMatchObject({
      file: 'cut.png',
      stage: 'parse',
      code: 'INPUT_IMAGE_INVALID',
    });
    const image = JSON.parse(readFileSync(join(folder, 'out', 'digit.png.json'), 'utf8'))['digit.png'];
    const array = parseNpy(readFileSync(join(folder, 'out', 'arrays.npy')), 'arrays.npy');
    expect(array.shape).toEqual([1, 10]);
    for (const [i, v] of image.values[0].entries()) expect(Math.abs(array.data[i] - v)).toBeLessThan(1e-3);
    for (const bad of [{ resize: 'squash' }, { scale: 'imagenet' }, { input_format: 'tiff' }]) {
      res = await h.call({
        method: 'POST',
        url: '/api/v1/deployments',
        payload: {
          name: 'bad',
          type: 'batch',
          model: 'digits',
          source: { connection: 'local', bucket: 'in' },
          target: { connection: 'local', bucket: 'out2' },
          options: bad,
        },
      });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
  });
});
