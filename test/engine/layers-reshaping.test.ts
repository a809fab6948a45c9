import { describe, expect, it } from 'vitest';
import { at, build, expectTensor, random, runLayer } from './layer-harness.js';

describe('shape layers', () => {
  const x = random([2, 3, 4, 2], 11);

  it('Reshape infers -1 and keeps row-major order', async () => {
    const y = await runLayer({ className: 'Reshape', config: { target_shape: [-1, 6] } }, [x]);
    expectTensor(y, { dims: [2, 4, 6], data: x.data });
  });

  it('never returns outputs over the input memory, even for a layer that only reshapes it', async () => {
    // The batcher reuses an input's buffer once it is scored (util/float-buffers.ts): an output viewing it would
    // change under the next record.
    for (const layer of [
      { className: 'Reshape', config: { target_shape: [-1] } },
      { className: 'Flatten', config: {} },
      { className: 'Activation', config: { activation: 'linear' } },
    ]) {
      const input = { dims: x.dims, data: Float32Array.from(x.data) };
      const y = await runLayer(layer, [input]);
      const before = y.data[0];
      input.data.fill(-7);
      expect(y.data.buffer === input.data.buffer, layer.className).toBe(false);
      expect(y.data[0], layer.className).toBe(before);
    }
  });

  it('Permute uses 1-based dims', async () => {
    const y = await runLayer({ className: 'Permute', config: { dims: [3, 1, 2] } }, [x]);
    expectTensor(
      y,
      build([2, 2, 3, 4], ([b, c, h, w]) => at(x, [b, h, w, c])),
    );
  });

  it('RepeatVector repeats along a new axis 1', async () => {
    const v = random([2, 3], 2);
    const y = await runLayer({ className: 'RepeatVector', config: { n: 4 } }, [v]);
    expectTensor(
      y,
      build([2, 4, 3], ([b, , f]) => at(v, [b, f])),
    );
  });

  it('ZeroPadding2D pads spatial axes (channels_last and channels_first)', async () => {
    const padding = [
      [1, 0],
      [2, 1],
    ];
    const last = await runLayer({ className: 'ZeroPadding2D', config: { padding } }, [x]);
    expectTensor(
      last,
      build([2, 4, 7, 2], ([b, h, w, c]) => {
        const hh = h - 1;
        const ww = w - 2;
        return hh >= 0 && hh < 3 && ww >= 0 && ww < 4 ? at(x, [b, hh, ww, c]) : 0;
      }),
    );
    const first = await runLayer(
      { className: 'ZeroPadding2D', config: { padding, data_format: 'channels_first' } },
      [x],
    );
    expectTensor(
      first,
      build([2, 3, 5, 5], ([b, c, h, w]) => {
        const hh = h - 1;
        const ww = w - 2;
        return hh >= 0 && hh < 4 && ww >= 0 && ww < 2 ? at(x, [b, c, hh, ww]) : 0;
      }),
    );
  });

  it('ZeroPadding1D and Cropping1D', async () => {
    const s = random([2, 5, 3], 4);
    const padded = await runLayer({ className: 'ZeroPadding1D', config: { padding: [2, 1] } }, [s]);
    expectTensor(
      padded,
      build([2, 8, 3], ([b, t, c]) => (t >= 2 && t < 7 ? at(s, [b, t - 2, c]) : 0)),
    );
    const cropped = await runLayer({ className: 'Cropping1D', config: { cropping: [1, 2] } }, [s]);
    expectTensor(
      cropped,
      build([2, 2, 3], ([b, t, c]) => at(s, [b, t + 1, c])),
    );
  });

  it('Cropping2D/3D crop both ends, with open spatial sizes too', async () => {
    const cropping = [
      [1, 1],
      [0, 2],
    ];
    const want = build([2, 1, 2, 2], ([b, h, w, c]) => at(x, [b, h + 1, w, c]));
    expectTensor(await runLayer({ className: 'Cropping2D', config: { cropping } }, [x]), want);
    expectTensor(
      await runLayer({ className: 'Cropping2D', config: { cropping } }, [x], { openDims: true }),
      want,
    );
    const v = random([1, 3, 4, 5, 2], 5);
    const y = await runLayer(
      {
        className: 'Cropping3D',
        config: {
          cropping: [
            [1, 0],
            [0, 1],
            [2, 2],
          ],
        },
      },
      [v],
    );
    expectTensor(
      y,
      build([1, 2, 3, 1, 2], ([b, d, h, w, c]) => at(v, [b, d + 1, h, w + 2, c])),
    );
  });

  it('Cropping everything away is refused', async () => {
    await expect(
      runLayer({ className: 'Cropping1D', config: { cropping: [2, 2] } }, [random([1, 4, 1])]),
    ).rejects.toThrow(/Cropping1D/);
  });

  it('UpSampling2D nearest repeats rows and columns', async () => {
    const y = await runLayer({ className: 'UpSampling2D', config: { size: [2, 3] } }, [x]);
    expectTensor(
      y,
      build([2, 6, 12, 2], ([b, h, w, c]) => at(x, [b, Math.floor(h / 2), Math.floor(w / 3), c])),
    );
  });

  it('UpSampling2D bilinear uses half-pixel centres (tf.image.resize)', async () => {
    const v = { dims: [1, 1, 2, 1], data: Float32Array.from([0, 1]) };
    const y = await runLayer(
      { className: 'UpSampling2D', config: { size: [1, 2], interpolation: 'bilinear' } },
      [v],
    );
    expectTensor(y, { dims: [1, 1, 4, 1], data: Float32Array.from([0, 0.25, 0.75, 1]) });
    // Keras 2.2 (TF1 resize_bilinear) sampled at i / scale, without half-pixel centres
    const legacy = await runLayer(
      { className: 'UpSampling2D', config: { size: [1, 2], interpolation: 'bilinear' } },
      [v],
      { kerasMajor: 2, kerasVersion: '2.2.4' },
    );
    expectTensor(legacy, { dims: [1, 1, 4, 1], data: Float32Array.from([0, 0.5, 1, 1]) });
  });

  it('UpSampling1D/3D repeat', async () => {
    const s = random([2, 3, 2], 6);
    const y1 = await runLayer({ className: 'UpSampling1D', config: { size: 2 } }, [s]);
    expectTensor(
      y1,
      build([2, 6, 2], ([b, t, c]) => at(s, [b, t >> 1, c])),
    );
    const v = random([1, 2, 2, 1, 3], 8);
    const y3 = await runLayer(
      { className: 'UpSampling3D', config: { size: [1, 2, 2], data_format: 'channels_first' } },
      [v],
    );
    expectTensor(
      y3,
      build([1, 2, 2, 2, 6], ([b, c, d, h, w]) => at(v, [b, c, d, h >> 1, w >> 1])),
    );
  });

  it('an unknown interpolation is refused', async () => {
    await expect(
      runLayer({ className: 'UpSampling2D', config: { size: 2, interpolation: 'lanczos5' } }, [x]),
    ).rejects.toThrow(/UpSampling2D.*lanczos5/);
  });
});
