import { describe, expect, it } from 'vitest';
import { convertKeras1Layer } from '../../src/keras/keras1-config.js';
import { convertKeras1Weights } from '../../src/keras/keras1-weights.js';
import type { WeightTensor } from '../../src/keras/model.js';
import { flipSpatial, transpose } from '../../src/keras/tensor-ops.js';

const t = (shape: number[], values?: number[]): WeightTensor => ({
  name: 'w',
  shape,
  data: Float32Array.from(values ?? Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i)),
});

describe('keras: Keras 1 conversions', () => {
  it('maps Keras 1 configs to Keras 2 names', () => {
    const conv = convertKeras1Layer('Convolution2D', {
      name: 'c',
      nb_filter: 8,
      nb_row: 3,
      nb_col: 5,
      border_mode: 'same',
      subsample: [2, 2],
      dim_ordering: 'th',
      bias: false,
    });
    expect(conv).toEqual({
      className: 'Conv2D',
      config: {
        name: 'c',
        filters: 8,
        kernel_size: [3, 5],
        padding: 'same',
        strides: [2, 2],
        data_format: 'channels_first',
        use_bias: false,
      },
    });
    expect(convertKeras1Layer('Dense', { output_dim: 4 }).config.units).toBe(4);
    expect(convertKeras1Layer('AtrousConvolution2D', { atrous_rate: [2, 2] }).config.dilation_rate).toEqual([
      2, 2,
    ]);
    expect(convertKeras1Layer('Merge', { mode: 'concat', concat_axis: 1 })).toMatchObject({
      className: 'Concatenate',
      config: { axis: 1 },
    });
    expect(convertKeras1Layer('Merge', { mode: 'sum' }).className).toBe('Add');
    expect(convertKeras1Layer('Merge', { mode: 'AAAA', mode_type: 'lambda' }).className).toBe('Lambda');
    expect(
      convertKeras1Layer('MaxPooling1D', { pool_length: 2, stride: 2, border_mode: 'valid' }).config,
    ).toEqual({ pool_size: [2], strides: [2], padding: 'valid' });
  });

  it('transposes and flips like numpy', () => {
    const w = transpose(t([2, 3]), [1, 0]);
    expect(w.shape).toEqual([3, 2]);
    expect([...w.data]).toEqual([0, 3, 1, 4, 2, 5]);
    const f = flipSpatial(t([2, 2, 1, 1]));
    expect([...f.data]).toEqual([3, 2, 1, 0]);
  });

  it('converts Theano kernels (out, in, rows, cols) to flipped (rows, cols, in, out)', () => {
    const th = t([2, 1, 2, 2]); // out=2, in=1, 2x2
    const [k] = convertKeras1Weights(
      'Conv2D',
      { data_format: 'channels_first', filters: 2 },
      [th, t([2])],
      'theano',
    );
    expect(k.shape).toEqual([2, 2, 1, 2]);
    // kernel[r][c][0][o] = th[o][0][1-r][1-c]
    expect([...k.data]).toEqual([3, 7, 2, 6, 1, 5, 0, 4]);
    const [tf] = convertKeras1Weights(
      'Conv2D',
      { data_format: 'channels_last', filters: 2 },
      [t([2, 2, 1, 2])],
      null,
    );
    expect([...tf.data]).toEqual([...t([2, 2, 1, 2]).data]);
  });

  it('concatenates per-gate LSTM weights in Keras 2 order i, f, c, o', () => {
    // Keras 1 order: W_i U_i b_i W_c U_c b_c W_f U_f b_f W_o U_o b_o, each gate marked by its value
    const gates = [1, 2, 3, 4]; // i, c, f, o
    const weights = gates.flatMap((g) => [t([1, 1], [g]), t([1, 1], [g * 10]), t([1], [g * 100])]);
    const [k, r, b] = convertKeras1Weights('LSTM', { name: 'lstm', units: 1 }, weights, 'tensorflow');
    expect([...k.data]).toEqual([1, 3, 2, 4]);
    expect([...r.data]).toEqual([10, 30, 20, 40]);
    expect([...b.data]).toEqual([100, 300, 200, 400]);
  });
});
