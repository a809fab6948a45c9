import { describe, expect, it } from 'vitest';
import { compileToOnnx } from '../../src/engine/compile.js';
import type { LayerConfig, Shape } from '../../src/keras/model.js';
import { expectTensor, random, runLayer, singleLayerModel, type T } from './layer-harness.js';

const image = random([2, 4, 5, 3], 71);
const ints = (dims: number[], values: number[]): T => ({ dims, data: Float32Array.from(values) });

function refusal(className: string, config: LayerConfig, shape: Shape, kerasVersion = '3.15.1'): string {
  try {
    compileToOnnx(singleLayerModel({ className, config }, [shape], { kerasVersion }));
  } catch (error) {
    return (error as Error).message;
  }
  return 'compiled';
}

describe('preprocessing layers: refusals', () => {
  it.each([
    ['Hashing', { num_bins: 4 }, /FarmHash64/],
    ['HashedCrossing', { num_bins: 4 }, /FarmHash64/],
    ['StringLookup', { vocabulary: ['a'] }, /take a string model input directly/],
    ['TextVectorization', {}, /take a string model input directly/],
    ['ContrastLimitedAdaptiveHistogramEqualization', { value_range: [0, 255] }, /CLAHE/],
  ])('%s is refused with its reason', (className, config, reason) => {
    expect(refusal(className, config, [null, 4, 5, 3])).toMatch(reason);
  });

  it.each([
    [{ height: 3, width: 3, interpolation: 'lanczos7' }, /interpolation "lanczos7"/],
    [{ height: 3, width: 3, pad_to_aspect_ratio: true, fill_mode: 'reflect' }, /fill_mode "reflect"/],
  ])('Resizing %j is refused', (config, reason) => {
    expect(refusal('Resizing', config, [null, 4, 5, 3])).toMatch(reason);
  });

  it('Resizing of images of open size: bilinear and nearest only, without crop or pad', () => {
    const open: Shape = [null, null, null, 3];
    expect(refusal('Resizing', { height: 3, width: 3, interpolation: 'area' }, open)).toMatch(/open height/);
    expect(refusal('Resizing', { height: 3, width: 3, crop_to_aspect_ratio: true }, open)).toMatch(
      /open height/,
    );
    expect(refusal('Resizing', { height: 3, width: 3 }, open)).toBe('compiled');
  });

  it.each([
    [{ vocabulary: null }, /without its vocabulary/],
    [{ vocabulary: [1, 2], output_mode: 'tf_idf' }, /output_mode "tf_idf"/],
    [{ vocabulary: [1, 2], num_oov_indices: 2, oov_method: 'farmhash' }, /farmhash/],
    [{ vocabulary: [1, 2], output_mode: 'multi_hot', sparse: true }, /sparse=True/],
  ])('IntegerLookup %j is refused', (config, reason) => {
    expect(refusal('IntegerLookup', config, [null, 4])).toMatch(reason);
  });

  it('multi_hot/count on a rank-3 input and sparse CategoryEncoding are refused', () => {
    expect(refusal('CategoryEncoding', { num_tokens: 4, output_mode: 'count' }, [null, 2, 3])).toMatch(
      /rank 3/,
    );
    expect(refusal('CategoryEncoding', { num_tokens: 4, sparse: true }, [null, 2])).toMatch(/sparse/);
  });

  it('RandomCrop of another size is refused outside Keras 3.15 and tf.keras 2.7+ (predict differs)', () => {
    const crop = (version: string, height = 2, width = 2) =>
      refusal('RandomCrop', { height, width }, [null, 4, 5, 3], version);
    expect(crop('3.5.0')).toMatch(/Keras 3\.5\.0/);
    expect(crop('3.16.0')).toMatch(/Keras 3\.16\.0/);
    expect(crop('3.15.1')).toBe('compiled');
    expect(crop('3.5.0', 4, 5)).toBe('compiled');
  });

  it('tf.keras before 2.7: RandomCrop resized then cropped, CenterCrop raised on small images', () => {
    const old = (className: string, height: number) => {
      try {
        const m = singleLayerModel({ className, config: { height, width: 2 } }, [[null, 4, 5, 3]], {
          kerasMajor: 2,
          kerasVersion: '2.4.0',
        });
        compileToOnnx(m);
        return 'compiled';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(old('RandomCrop', 2)).toMatch(/Keras 2\.4\.0/);
    expect(old('CenterCrop', 6)).toMatch(/smaller than 6x2/);
    expect(old('CenterCrop', 3)).toBe('compiled');
  });

  it('an adapted Normalization without its weights is refused', () => {
    expect(refusal('Normalization', { axis: [-1] }, [null, 4])).toMatch(/adapted weights/);
  });
});

describe('preprocessing layers: predict semantics', () => {
  it.each(['Equalization', 'RandomShear', 'Solarization', 'RandomFlip'])(
    '%s passes images through in predict',
    async (className) => {
      expectTensor(await runLayer({ className, config: { value_range: [0, 255] } }, [image]), image, 0);
    },
  );

  it('a recorded training=True is overridden in Keras 3 files and refused in tf.keras ones', () => {
    const model = (kerasMajor: 2 | 3) => {
      const m = singleLayerModel({ className: 'RandomFlip', config: {} }, [[null, 4, 5, 3]], { kerasMajor });
      m.layers[m.layers.length - 1].inbound[0].kwargs = { training: true };
      return m;
    };
    expect(() => compileToOnnx(model(3))).not.toThrow();
    expect(() => compileToOnnx(model(2))).toThrow(/training=true/);
  });

  it('IntegerLookup with num_oov_indices=0 gives NaN for an OOV value, where Keras raises', async () => {
    const x = ints([2, 3], [5, 7, 5, 7, 9, 5]);
    const lookup = { className: 'IntegerLookup', config: { vocabulary: [5, 7], num_oov_indices: 0 } };
    const y = await runLayer(lookup, [x]);
    expect(Array.from(y.data.slice(0, 3))).toEqual([0, 1, 0]);
    expect(Number.isNaN(y.data[4])).toBe(true);
    const hot = await runLayer({ ...lookup, config: { ...lookup.config, output_mode: 'multi_hot' } }, [x]);
    expect(Array.from(hot.data.slice(0, 2))).toEqual([1, 1]);
    expect(Array.from(hot.data.slice(2)).every(Number.isNaN)).toBe(true);
  });

  it('AutoContrast keeps a constant channel as it is (Keras 3.15 output)', async () => {
    const x = ints([2, 2, 2, 2], [5, 1, 5, 2, 5, 3, 5, 4, 0, 1, 0, 2, 0, 3, 0, 9]);
    const y = await runLayer({ className: 'AutoContrast', config: { value_range: [0, 255] } }, [x]);
    const keras = [5, 0, 5, 85, 5, 170, 5, 255, 0, 0, 0, 31.875, 0, 63.75, 0, 255];
    expectTensor(y, ints([2, 2, 2, 2], keras), 1e-6);
  });

  it('IntegerLookup refuses tokens that float32 inputs cannot tell apart', () => {
    expect(refusal('IntegerLookup', { vocabulary: [1, 2 ** 24 + 1] }, [null, 4])).toMatch(/2\^24/);
  });

  it('CategoryEncoding gives NaN records where Keras raises, zeros where it drops', async () => {
    const x = ints([2, 3], [1, -1, 2, 1, 7, 2]);
    const count = { className: 'CategoryEncoding', config: { num_tokens: 4, output_mode: 'count' } };
    const k3 = await runLayer(count, [x], { kerasMajor: 3 });
    expect(Array.from(k3.data.slice(0, 4)).every(Number.isNaN)).toBe(true);
    expect(Array.from(k3.data.slice(4))).toEqual([0, 1, 1, 0]);
    const tf2 = await runLayer(count, [x], { kerasMajor: 2 });
    expect(Array.from(tf2.data).every(Number.isNaN)).toBe(true);
    const oneHot = await runLayer(
      { className: 'CategoryEncoding', config: { num_tokens: 4, output_mode: 'one_hot' } },
      [x],
      { kerasMajor: 3 },
    );
    expect(Array.from(oneHot.data.slice(4, 8))).toEqual([0, 0, 0, 0]);
  });

  it('IntegerLookup with pad_to_max_tokens encodes to max_tokens', async () => {
    const y = await runLayer(
      {
        className: 'IntegerLookup',
        config: { vocabulary: [5, 7], output_mode: 'count', pad_to_max_tokens: true, max_tokens: 6 },
      },
      [ints([1, 4], [5, 5, 8, 7])],
    );
    expect(Array.from(y.data)).toEqual([1, 2, 1, 0, 0, 0]);
  });
});
