/** Our image decode + resize + scale against Keras' own (`load_img`, `img_to_array`, `tf.image.resize`, ...). */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResizeMode, resizeImage, scalePixels, toChannels } from '../../../src/scoring/formats/image.js';
import { decodeImage } from '../../../src/scoring/formats/image-decode.js';
import { kerasPython } from '../../helpers/python-keras.js';
import { repoRoot } from '../../helpers/shared.js';

interface Case {
  file: string;
  color: 'grayscale' | 'rgb' | 'rgba';
  mode: ResizeMode;
  size: [number, number];
  shape: number[];
  data: number[];
}

const python = kerasPython();
const hasPillow =
  python !== null && spawnSync(python, ['-c', 'import PIL'], { stdio: 'ignore' }).status === 0;
const reason = !python || !hasPillow ? 'no .venv with Python Keras and Pillow (run `npm run fixtures`)' : '';
if (reason) {
  // The venv is part of CI's setup (.ci/run): there, its absence is a failure, not a skip.
  if (process.env.CI) {
    it('compares image decoding with Keras in CI', () => {
      throw new Error(`the Keras image comparison cannot run in CI: ${reason}`);
    });
  } else console.warn(`skipped: image decoding against Keras: ${reason}`);
}

const CHANNELS = { grayscale: 1, rgb: 3, rgba: 4 } as const;

describe.skipIf(Boolean(reason))('image decode + resize matches Keras load_img + resize within 1/255', () => {
  let dir = '';
  let keras: { keras: string; cases: Case[]; preprocess: Record<'caffe' | 'torch', number[]> };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-image-oracle-'));
    await promisify(execFile)(python ?? '', [join(repoRoot, 'test', 'oracle', 'image_oracle.py'), dir], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
      maxBuffer: 64 << 20,
    });
    keras = JSON.parse(readFileSync(join(dir, 'keras.json'), 'utf8'));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('for PNG (gray, RGB, RGBA), GIF, JPEG, WebP, BMP and TIFF, each resize mode, down and up', async () => {
    const worst: Record<string, number> = {};
    expect(keras.cases.length).toBeGreaterThan(100);
    for (const c of keras.cases) {
      const image = await decodeImage(readFileSync(join(dir, c.file)), c.file);
      const channels = CHANNELS[c.color];
      const pixels = toChannels(image, channels);
      const ours = resizeImage(pixels, image.height, image.width, channels, c.size[0], c.size[1], c.mode);
      expect(c.shape).toEqual([...c.size, channels]);
      expect(ours.length).toBe(c.data.length);
      let max = 0;
      for (let i = 0; i < ours.length; i += 1) max = Math.max(max, Math.abs(ours[i] - c.data[i]));
      const label = `${c.file} ${c.color} ${c.mode} ${c.size.join('x')}`;
      worst[label] = max;
    }
    if (process.env.KB_SHOW_WORST) console.log(worst);
    const over = Object.entries(worst).filter(([, max]) => max > 1);
    expect(over, `max |ours - keras| per case over 1 (of 255), Keras ${keras.keras}`).toEqual([]);
    // Lossless formats decode to the same pixels: only float rounding is left.
    for (const [label, max] of Object.entries(worst)) {
      if (/\.(png|bmp|tif)/.test(label)) expect(max, label).toBeLessThan(0.01);
    }
  });

  it('scales like keras.applications preprocess_input (caffe, torch)', async () => {
    const image = await decodeImage(readFileSync(join(dir, 'rgb_40x56.png')), 'rgb_40x56.png');
    for (const mode of ['caffe', 'torch'] as const) {
      const data = resizeImage(toChannels(image, 3), image.height, image.width, 3, 28, 28, 'stretch');
      scalePixels(data, 3, mode);
      const want = keras.preprocess[mode];
      expect(data.length).toBe(want.length);
      let max = 0;
      for (let i = 0; i < data.length; i += 1) max = Math.max(max, Math.abs(data[i] - want[i]));
      expect(max, mode).toBeLessThan(mode === 'caffe' ? 0.01 : 1e-3);
    }
  });
});
