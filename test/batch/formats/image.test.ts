import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openModelInThread } from '../../../src/engine/model-thread/index.js';
import {
  channelsFirst,
  imageLayout,
  imageRecord,
  resizeImage,
  SCALE_MODES,
  scalePixels,
} from '../../../src/scoring/formats/image.js';
import { decodeBmp } from '../../../src/scoring/formats/image-decode.js';
import { exampleInputs, exampleModel } from '../../helpers/batch-files.js';
import { formatJobs } from './format-jobs.js';

const jobs = formatJobs(exampleModel);
const { folders, job } = jobs;

/** The ten example digits as 28×28 gray pixels 0-255. */
const digits = exampleInputs().map((t) =>
  Uint8Array.from((JSON.parse(t).values.flat(4) as number[]).map((v) => Math.round(v * 255))),
);

const gray = (pixels: Uint8Array, width = 28, height = 28) =>
  sharp(pixels, { raw: { width, height, channels: 1 } });

/** A 24-bit bottom-up BMP of gray pixels (what Windows and Pillow write). */
function bmp24(pixels: Uint8Array, width: number, height: number): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const v = pixels[y * width + x];
      out.fill(v, 54 + (height - 1 - y) * stride + x * 3, 54 + (height - 1 - y) * stride + x * 3 + 3);
    }
  }
  return out;
}

/** The engine's prediction for one 28×28 record of pixels scaled by `scale`. */
async function engineOn(pixels: Uint8Array, scale = 1) {
  const data = Float32Array.from(pixels, (v) => v / scale);
  const [out] = await jobs.model().engine.predict([{ data, dims: [1, 28, 28, 1] }]);
  return Array.from(out.data);
}

const outputOf = (target: string, key: string) => {
  const parsed = JSON.parse(readFileSync(join(target, `${key}.json`), 'utf8'));
  expect(Object.keys(parsed)).toEqual([key]);
  return parsed[key] as { fields: string[]; values: [number[], number, number[]] };
};

describe('image inputs', () => {
  it('scores PNG, WebP, TIFF and BMP digits exactly as the engine scores their pixels; JPEG and GIF too', async () => {
    const { source, target } = folders();
    for (const [i, pixels] of digits.entries()) {
      writeFileSync(join(source, `d${i}.png`), await gray(pixels).png().toBuffer());
    }
    writeFileSync(join(source, 'lossless.webp'), await gray(digits[1]).webp({ lossless: true }).toBuffer());
    writeFileSync(join(source, 'd2.TIF'), await gray(digits[2]).tiff({ compression: 'lzw' }).toBuffer());
    writeFileSync(join(source, 'd3.bmp'), bmp24(digits[3], 28, 28));
    writeFileSync(join(source, 'd4.jpeg'), await gray(digits[4]).jpeg({ quality: 95 }).toBuffer());
    writeFileSync(join(source, 'd5.gif'), await gray(digits[5]).gif().toBuffer());
    const report = await job(source, target, { formats: { scale: 'unit' } });
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ scored: 15, failed: 0, records: 15 });
    for (const [i, pixels] of digits.entries()) {
      const out = outputOf(target, `d${i}.png`);
      expect(out.fields).toEqual(['prediction', 'prediction_classes', 'probability']);
      const want = await engineOn(pixels, 255);
      for (const [j, v] of want.entries()) expect(Math.abs(out.values[0][j] - v)).toBeLessThan(1e-5);
      expect(out.values[1]).toBe(want.indexOf(Math.max(...want)));
    }
    for (const [key, d] of [
      ['lossless.webp', 1],
      ['d2.TIF', 2],
      ['d3.bmp', 3],
    ] as const) {
      expect(outputOf(target, key).values, key).toEqual(outputOf(target, `d${d}.png`).values);
    }
    expect(outputOf(target, 'd4.jpeg').values[1]).toBe(outputOf(target, 'd4.png').values[1]);
    expect(outputOf(target, 'd5.gif').values[1]).toBe(outputOf(target, 'd5.png').values[1]);
    const again = await job(source, target, { resume: true, formats: { scale: 'unit' } });
    expect(again.counts).toMatchObject({ scored: 0, skipped: 15 });
  });

  it('scores each of many images as its own pixels when records and batches are recycled, in a model thread too', async () => {
    const { source } = folders();
    const variants = Array.from({ length: 48 }, (_, i) => {
      const pixels = Uint8Array.from(digits[i % 10]);
      for (let k = 0; k < 40; k += 1) pixels[(i * 53 + k * 19) % 784] ^= 0x55;
      return pixels;
    });
    for (const [i, pixels] of variants.entries()) {
      // JPEG (decoded on the job's thread) and PNG (small: decoded on a file thread when there are some)
      const image = i % 2 === 0 ? gray(pixels).png() : gray(pixels).jpeg({ quality: 100 });
      writeFileSync(join(source, `v${i}.${i % 2 === 0 ? 'png' : 'jpg'}`), await image.toBuffer());
    }
    const want = await Promise.all(
      variants.map(async (_, i) => {
        const bytes = readFileSync(join(source, `v${i}.${i % 2 === 0 ? 'png' : 'jpg'}`));
        const decoded = await sharp(bytes).extractChannel(0).raw().toBuffer();
        return engineOn(decoded, 255);
      }),
    );
    const threaded = await openModelInThread({ path: exampleModel }, { name: 'mnist', threads: 1 });
    try {
      for (const [engine, ioThreads] of [
        [jobs.model().engine, 0],
        [threaded.engine, 2],
      ] as const) {
        const { target } = folders();
        const report = await job(source, target, {
          model: { engine, sha256: jobs.model().sha256, name: 'mnist' },
          batchSize: 4,
          ioThreads,
          formats: { scale: 'unit' },
        });
        expect(report.counts).toMatchObject({ scored: 48, failed: 0 });
        for (const [i, expected] of want.entries()) {
          const out = outputOf(target, `v${i}.${i % 2 === 0 ? 'png' : 'jpg'}`);
          const worst = Math.max(...expected.map((v, j) => Math.abs(out.values[0][j] - v)));
          expect(worst, `v${i} with ${ioThreads} file threads`).toBeLessThan(1e-5);
        }
      }
    } finally {
      await threaded.engine.dispose();
    }
  }, 60_000);

  it('gives the same bytes with file threads (small PNGs decoded there) as on the job thread alone', async () => {
    const { source } = folders();
    for (const [i, pixels] of digits.entries()) {
      writeFileSync(join(source, `d${i}.png`), await gray(pixels).png().toBuffer());
    }
    writeFileSync(
      join(source, 'big.png'),
      await gray(new Uint8Array(300 * 300).fill(90), 300, 300)
        .png()
        .toBuffer(),
    );
    writeFileSync(join(source, 'd4.jpeg'), await gray(digits[4]).jpeg({ quality: 95 }).toBuffer());
    writeFileSync(
      join(source, 'dot.png'),
      await gray(new Uint8Array([7]), 1, 1)
        .png()
        .toBuffer(),
    );
    const outputs = async (ioThreads: number) => {
      const { target } = folders();
      const report = await job(source, target, { ioThreads, formats: { scale: 'unit', resize: 'crop' } });
      expect(report.counts).toMatchObject({ scored: 12, failed: 1 });
      expect(report.failures.map((f) => `${f.file} ${f.stage} ${f.code}`)).toEqual([
        'dot.png parse INPUT_IMAGE_TOO_SMALL',
      ]);
      const keys = [...digits.keys()].map((i) => `d${i}.png`).concat('big.png', 'd4.jpeg');
      return keys.map((key) => readFileSync(join(target, `${key}.json`), 'utf8'));
    };
    const threaded = await outputs(2);
    expect(threaded).toEqual(await outputs(0));
  });

  it('converts RGB(A) to gray as Pillow does and resizes larger images to the model input', async () => {
    const { source, target } = folders();
    const rgb = Buffer.alloc(56 * 40 * 4);
    for (let i = 0; i < 56 * 40; i += 1) rgb.set([i % 256, (i * 3) % 256, (i * 7) % 256, 200], i * 4);
    writeFileSync(
      join(source, 'wide.png'),
      await sharp(rgb, { raw: { width: 56, height: 40, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const raw = await job(source, target, { formats: { resize: 'crop' } });
    expect(raw.counts).toMatchObject({ scored: 1, records: 1 });
    expect(outputOf(target, 'wide.png').values[0]).toHaveLength(10);
  });

  it('fails a truncated, 1×1, corrupt or non-image file alone, naming file and problem', async () => {
    const { source, target } = folders();
    const png = await gray(digits[0]).png().toBuffer();
    writeFileSync(join(source, 'ok.png'), png);
    writeFileSync(join(source, 'truncated.png'), png.subarray(0, Math.floor(png.length / 2)));
    writeFileSync(join(source, 'dot.png'), await gray(Uint8Array.of(255), 1, 1).png().toBuffer());
    writeFileSync(join(source, 'notes.jpg'), 'this is text, not a JPEG');
    writeFileSync(join(source, 'short.bmp'), bmp24(digits[0], 28, 28).subarray(0, 400));
    const report = await job(source, target);
    expect(report.counts).toMatchObject({ scored: 1, failed: 4, records: 1 });
    const failures = Object.fromEntries(
      report.failures.map((f) => [f.file, `${f.stage} ${f.code}: ${f.reason}`]),
    );
    expect(failures['truncated.png']).toMatch(
      /^parse INPUT_IMAGE_INVALID: truncated\.png cannot be decoded: /,
    );
    expect(failures['dot.png']).toMatch(
      /^parse INPUT_IMAGE_TOO_SMALL: dot\.png is 1×1 pixels: an image under 2 pixels on a side is refused/,
    );
    expect(failures['notes.jpg']).toMatch(
      /^parse INPUT_IMAGE_INVALID: notes\.jpg is not an image sharp reads/,
    );
    expect(failures['short.bmp']).toMatch(/short\.bmp: BMP file is truncated/);
    expect(outputOf(target, 'ok.png').values).toHaveLength(3);
  });

  it('scales an image already at the model size by table lookup to the very numbers of the step-by-step path', () => {
    for (const c of [1, 3, 4] as const) {
      const data = Uint8Array.from({ length: 16 * 16 * c }, (_, i) => (i * 37 + (i >> 8)) & 255);
      const image = { width: 16, height: 16, channels: c, data };
      for (const scale of SCALE_MODES) {
        if (c !== 3 && (scale === 'caffe' || scale === 'torch')) continue;
        for (const first of [false, true]) {
          const shape = first ? [null, c, 16, 16] : [null, 16, 16, c];
          const record = imageRecord(image, imageLayout({ name: 'x', shape }), { scale }, 'a.png');
          let expected = resizeImage(data, 16, 16, c, 16, 16, 'stretch');
          scalePixels(expected, c, scale);
          if (first) expected = channelsFirst(expected, 16, 16, c);
          expect(record.data, `${c} channels, ${scale}, channels-first ${first}`).toEqual(expected);
        }
      }
    }
  });

  it('lays records out channels-first or without a channel axis, and scales caffe and torch per channel', () => {
    const image = {
      width: 2,
      height: 2,
      channels: 3,
      data: Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]),
    };
    const first = imageRecord(image, imageLayout({ name: 'x', shape: [null, 3, 2, 2] }), {}, 'a.png');
    expect(first.dims).toEqual([1, 3, 2, 2]);
    expect(Array.from(first.data)).toEqual([10, 40, 70, 100, 20, 50, 80, 110, 30, 60, 90, 120]);
    const flat = imageRecord(
      image,
      imageLayout({ name: 'x', shape: [null, 2, 2] }),
      { scale: 'symmetric' },
      'a.png',
    );
    expect(flat.dims).toEqual([1, 2, 2]);
    expect(flat.data[0]).toBeCloseTo(Math.round(10 * 0.299 + 20 * 0.587 + 30 * 0.114) / 127.5 - 1, 6);
    const caffe = Float32Array.from([10, 20, 30]);
    scalePixels(caffe, 3, 'caffe');
    expect(Array.from(caffe)).toEqual(
      Array.from(Float32Array.from([30 - 103.939, 20 - 116.779, 10 - 123.68])),
    );
    const torch = Float32Array.from([255, 0, 127.5]);
    scalePixels(torch, 3, 'torch');
    expect(torch[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(torch[1]).toBeCloseTo(-0.456 / 0.224, 5);
    expect(() => scalePixels(Float32Array.of(1), 1, 'caffe')).toThrow(
      /--scale caffe needs a model taking 3 channels/,
    );
    expect(() => imageLayout({ name: 'dense', shape: [null, 784] })).toThrow(
      /the model input dense has shape \(None, 784\)/,
    );
    expect(decodeBmp(bmp24(Uint8Array.of(1, 2, 3, 4, 5, 6), 3, 2), 'x.bmp')).toMatchObject({
      width: 3,
      height: 2,
      channels: 3,
    });
  });
});
