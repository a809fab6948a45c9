import { describe, expect, it } from 'vitest';
import {
  formatNumber,
  formatPrediction,
  nonFiniteRecords,
  predictClasses,
  predictionChunks,
  recordValues,
  shapeRecords,
} from '../../src/scoring/index.js';
import { LimitError } from '../../src/util/limits.js';

describe('predictClasses (Keras 2 predict_classes)', () => {
  it('takes the argmax of a softmax row, ties to the first', () => {
    expect(predictClasses([0.1, 0.7, 0.2], 0, [3])).toBe(1);
    expect(predictClasses([0.4, 0.4, 0.2], 0, [3])).toBe(0);
  });
  it('thresholds a single unit at 0.5 and keeps it in a list', () => {
    expect(predictClasses([0.51], 0, [1])).toEqual([1]);
    expect(predictClasses([0.5], 0, [1])).toEqual([0]);
  });
  it('works per row for sequence outputs', () => {
    expect(predictClasses([0, 1, 1, 0, 0.2, 0.1], 0, [3, 2])).toEqual([1, 0, 0]);
  });
  it('is null where a value it is computed from is NaN or Infinity (their prediction is null), per row', () => {
    const { NaN: nan, POSITIVE_INFINITY: inf } = Number;
    expect(predictClasses([nan, 0.7, 0.2], 0, [3])).toBeNull();
    expect(predictClasses([0.1, 0.7, nan], 0, [3])).toBeNull();
    expect(predictClasses([0.1, inf, 0.2], 0, [3])).toBeNull();
    expect(predictClasses([nan], 0, [1])).toEqual([null]);
    expect(predictClasses([-inf, 0.9, inf], 0, [3, 1])).toEqual([[null], [1], [null]]);
    expect(predictClasses([0, 1, nan, 0, 0.2, 0.1], 0, [3, 2])).toEqual([1, null, 0]);
  });
});

describe('nonFiniteRecords', () => {
  it('counts the records with a NaN or Infinity in any output', () => {
    const a = { data: Float32Array.from([0.1, 0.9, Number.NaN, 0.5, 0.3, 0.7]), dims: [3, 2] };
    const b = { data: Float32Array.from([1, 2, Number.NEGATIVE_INFINITY]), dims: [3, 1] };
    expect(nonFiniteRecords([a, b], 0, 3)).toBe(2);
    expect(nonFiniteRecords([a, b], 0, 1)).toBe(0);
    expect(nonFiniteRecords([a], 1, 2)).toBe(1);
  });
  it('writes such a record with null values and null classes', () => {
    const out = { data: Float32Array.from([Number.NaN, 0.5]), dims: [1, 2] };
    expect(JSON.parse(formatPrediction('n.json', [out], 0, 1))['n.json'].values).toEqual([
      [null, 0.5],
      null,
      [null, 0.5],
    ]);
  });
});

describe('formatNumber', () => {
  it('prints float32 values as Python prints them widened to double', () => {
    expect(formatNumber(Math.fround(0.119932159781456))).toBe('0.119932159781456');
    expect(formatNumber(1)).toBe('1.0');
    expect(formatNumber(0)).toBe('0.0');
    expect(formatNumber(Math.fround(0.1))).toBe('0.10000000149011612');
    expect(formatNumber(Number.NaN)).toBe('null');
    expect(formatNumber(Math.fround(2.809650140989106e-6))).toBe('2.809650140989106e-06');
    expect(formatNumber(0.0001)).toBe('0.0001');
    expect(formatNumber(1e-5)).toBe('1e-05');
    expect(formatNumber(-1234.5)).toBe('-1234.5');
    expect(formatNumber(1e16)).toBe('1e+16');
    expect(formatNumber(123456789012345680)).toBe('1.2345678901234568e+17');
  });
});

describe('formatPrediction', () => {
  const probs = Float32Array.from([0.25, 0.75, 0.5, 0.5]);
  it('writes the seed shape for one record', () => {
    const text = formatPrediction('img1.json', [{ data: probs, dims: [2, 2] }], 0, 1);
    expect(JSON.parse(text)).toEqual({
      'img1.json': {
        fields: ['prediction', 'prediction_classes', 'probability'],
        values: [[0.25, 0.75], 1, [0.25, 0.75]],
      },
    });
  });
  it('writes a list of rows for several records', () => {
    const text = formatPrediction('b.json', [{ data: probs, dims: [2, 2] }], 0, 2);
    expect(JSON.parse(text)['b.json'].values).toEqual([
      [[0.25, 0.75], 1, [0.25, 0.75]],
      [[0.5, 0.5], 0, [0.5, 0.5]],
    ]);
  });
  it('lists each output per field for multi-output models', () => {
    const a = { data: Float32Array.from([0.1, 0.9]), dims: [1, 2] };
    const b = { data: Float32Array.from([0.75]), dims: [1, 1] };
    expect(JSON.parse(formatPrediction('m.json', [a, b], 0, 1))['m.json'].values).toEqual([
      [[Math.fround(0.1), Math.fround(0.9)], [0.75]],
      [1, [1]],
      [[Math.fround(0.1), Math.fround(0.9)], [0.75]],
    ]);
  });
});

describe('predictionChunks (large outputs streamed)', () => {
  const rows = 1000;
  const data = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i) / 3 + (i % 7 === 0 ? 1e-7 : 0));
  const outputs = [{ data, dims: [rows, 3] }];
  // The text as it was built before streaming: every row, joined, in one string.
  const textBefore = (name: string, first: number, count: number) =>
    `{${JSON.stringify(name)}: {"fields": ["prediction", "prediction_classes", "probability"], "values": [${Array.from(
      { length: count },
      (_, r) => recordValues(outputs, first + r),
    ).join(', ')}]}}`;

  it('yields pieces of about chunkChars whose text is byte for byte the whole output', () => {
    const pieces = [...predictionChunks('f "ü".json', outputs, 0, rows, { chunkChars: 4096 })];
    expect(pieces.length).toBeGreaterThan(10);
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeLessThan(4096 + 200);
    expect(pieces.join('')).toBe(textBefore('f "ü".json', 0, rows));
    expect(formatPrediction('f "ü".json', outputs, 0, rows)).toBe(textBefore('f "ü".json', 0, rows));
    expect([...predictionChunks('g.json', outputs, 10, 25, { chunkChars: 100 })].join('')).toBe(
      textBefore('g.json', 10, 25),
    );
  });

  it('refuses past maxBytes before yielding the piece that passes it', () => {
    const chunks = predictionChunks('h.json', outputs, 0, rows, { maxBytes: 20_000, chunkChars: 4096 });
    let yielded = 0;
    expect(() => {
      for (const piece of chunks) yielded += piece.length;
    }).toThrow(LimitError);
    expect(yielded).toBeLessThanOrEqual(20_000 + 200);
  });
});

describe('shapeRecords', () => {
  const spec = [{ name: 'x', shape: [null, 2, 3] }];
  const data = new Float32Array(6);
  it('accepts one record without the batch axis', () => {
    const r = shapeRecords([{ dims: [2, 3], data }], spec);
    expect(r.count).toBe(1);
    expect(r.hadBatchAxis).toBe(false);
    expect(r.tensors[0].dims).toEqual([1, 2, 3]);
  });
  it('names the axis and the expected size on a mismatch', () => {
    expect(() => shapeRecords([{ dims: [1, 2, 4], data: new Float32Array(8) }], spec)).toThrowError(
      /4 items on axis 2 .* expects 3/,
    );
    expect(() => shapeRecords([{ dims: [6], data }], spec)).toThrowError(
      /shape \[6\], but the model expects \[any, 2, 3\]/,
    );
  });
  it('accepts open axes of any size', () => {
    const r = shapeRecords([{ dims: [7], data: new Float32Array(7) }], [{ name: 't', shape: [null, null] }]);
    expect(r.tensors[0].dims).toEqual([1, 7]);
  });
});
