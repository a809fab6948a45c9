/**
 * Hashing and HashedCrossing on the host: the hash functions against known answers computed by TensorFlow 2.21
 * (`tf.strings.to_hash_bucket_fast/strong` with 2^63 - 1 buckets, the largest TF takes, show the raw hash mod
 * 2^63 - 1; `tf.sparse.cross_hashed` with 0 buckets does the same), the layers against Keras 3.15's own outputs,
 * and the plan's refusals. Whole models are checked against real Keras by the `hashing_*` goldens.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine, layerHandling } from '../../src/engine/index.js';
import { hashedCrossingLayer, hashingLayer } from '../../src/engine/text/hash-layers.js';
import { crossHashed, fingerprint64, sipHash24, sipHashKey } from '../../src/engine/text/hashes.js';
import { planStringInputs } from '../../src/engine/text/string-inputs.js';
import { loadModel } from '../../src/keras/index.js';
import type { LayerConfig, LayerSpec, ModelDescription, ModelInput, Shape } from '../../src/keras/model.js';

const INT64_MAX = (1n << 63n) - 1n;
const STRINGS = [
  'a',
  'hello',
  '',
  'A',
  '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0',
  'ümlaut ☃',
  'x'.repeat(17),
  'y'.repeat(33),
  '-7',
  '42',
];

describe('the hashes of TensorFlow, known answers', () => {
  it('FarmHash Fingerprint64 (tf.strings.to_hash_bucket_fast)', () => {
    const tf = [
      3694432073954588132n,
      3786372426573024489n,
      1936946117179621456n,
      7691922019767284757n,
      1551549064416070298n,
      6599059338983766359n,
      2082709914559524774n,
      8610735037765521150n,
      157654154374354255n,
      623910487284905736n,
    ];
    expect(STRINGS.map((s) => fingerprint64(s) % INT64_MAX)).toEqual(tf);
    expect(STRINGS.map((s) => Number(fingerprint64(s) % 7n))).toEqual([5, 5, 6, 3, 5, 5, 6, 0, 2, 6]);
  });

  it('SipHash-2-4 keyed [133, 137] (tf.strings.to_hash_bucket_strong)', () => {
    const tf = [
      7077939996121841354n,
      1067426241479190957n,
      4928313950774450900n,
      2734447641339851217n,
      3297975317521921707n,
      1943835545289986644n,
      8812240840814877026n,
      8357397433078994573n,
      2934085813251794421n,
      8447859029451813599n,
    ];
    const key = sipHashKey([133n, 137n]);
    expect(STRINGS.map((s) => sipHash24(key, s) % INT64_MAX)).toEqual(tf);
  });

  it('FingerprintCat64 crosses of strings and int64s (tf.sparse.cross_hashed)', () => {
    expect(crossHashed(['a', 1n], 0)).toBe(2928842892298887678n);
    expect(crossHashed(['b', -7n], 0)).toBe(7988311874881996555n);
    expect(crossHashed(['', 2n ** 40n], 0)).toBe(1187150632634883283n);
    expect(crossHashed([3n, 'hello', 'x'], 10)).toBe(0n);
  });
});

const spec = (className: string, config: LayerConfig, inputs = ['x']): LayerSpec => ({
  name: 'h',
  className,
  config,
  inbound: [{ inputs: inputs.map((layer) => ({ layer, nodeIndex: 0, tensorIndex: 0 })), kwargs: {} }],
  weights: [],
});
const input = (dtype: string, shape: Shape = [null, 1], name = 'x'): ModelInput => ({ name, shape, dtype });
const letters = { strings: ['A', 'B', 'C', 'D', 'E'], dims: [5, 1] };

describe('Hashing and HashedCrossing as Keras computes them', () => {
  const hashing = (config: LayerConfig, dtype = 'string') =>
    hashingLayer(spec('Hashing', { num_bins: 3, ...config }), input(dtype));

  it('matches the examples of the Keras docstring', () => {
    expect(Array.from(hashing({}).run([letters]).data)).toEqual([1, 0, 1, 1, 2]);
    const masked = hashing({ mask_value: '' }).run([{ strings: ['A', 'B', '', 'C', 'D'], dims: [5, 1] }]);
    expect(Array.from(masked.data)).toEqual([1, 1, 0, 2, 2]);
    expect(Array.from(hashing({ salt: [133, 137] }).run([letters]).data)).toEqual([1, 2, 1, 0, 2]);
    expect(Array.from(hashing({ salt: 133 }).run([letters]).data)).toEqual([0, 0, 2, 1, 0]);
  });

  it('hashes integers as their decimal strings, with a mask value', () => {
    const ints = { data: Float32Array.from([1, -7, 123456]), dims: [3, 1] };
    expect(Array.from(hashing({ num_bins: 1000 }, 'int64').run([ints]).data)).toEqual([849, 62, 998]);
    const masked = hashing({ num_bins: 1000, mask_value: -7 }, 'int64');
    expect(Array.from(masked.run([ints]).data)).toEqual([766, 0, 333]);
    const bad = hashing({ num_bins: 1000 }, 'int64').run([
      { data: Float32Array.from([Number.NaN]), dims: [1, 1] },
    ]);
    expect(Array.from(bad.data)).toEqual([Number.NaN]);
  });

  it('encodes one_hot, multi_hot and count', () => {
    expect(hashing({ output_mode: 'one_hot' }).outputShape([[null, 1]])).toEqual([null, 3]);
    expect(Array.from(hashing({ output_mode: 'one_hot' }).run([letters]).data.subarray(0, 6))).toEqual([
      0, 1, 0, 1, 0, 0,
    ]);
    const row = { strings: ['A', 'B', 'C', 'E'], dims: [1, 4] };
    expect(Array.from(hashing({ output_mode: 'count' }).run([row]).data)).toEqual([1, 2, 1]);
    expect(Array.from(hashing({ output_mode: 'multi_hot' }).run([row]).data)).toEqual([1, 1, 1]);
  });

  it('crosses a string and an integer input', () => {
    const cross = hashedCrossingLayer(spec('HashedCrossing', { num_bins: 1000 }, ['s', 'i']), [
      input('string', [null, 1], 's'),
      input('int64', [null, 1], 'i'),
    ]);
    const ints = { data: Float32Array.from([1, -7, 2 ** 40]), dims: [3, 1] };
    const strings = { strings: ['a', 'b', ''], dims: [3, 1] };
    expect(Array.from(cross.run([strings, ints]).data)).toEqual([485, 362, 283]);
  });

  it.each([
    [{ num_bins: 3, sparse: true, output_mode: 'one_hot' }, /sparse=True/],
    [{ num_bins: 2 ** 25 }, /num_bins/],
    [{ num_bins: 3, salt: [1, 2, 3] }, /salt/],
    [{ num_bins: 3, mask_value: 0 }, /mask_value 0 on a string input/],
    [{ num_bins: 3, output_mode: 'tf_idf' }, /output_mode "tf_idf"/],
  ])('refuses Hashing %j', (config, reason) => {
    expect(() => hashingLayer(spec('Hashing', config), input('string'))).toThrow(reason);
  });
});

function model(layers: LayerSpec[], inputs: ModelInput[]): ModelDescription {
  return {
    name: 'm',
    format: 'keras3-zip',
    kerasVersion: '3.15.1',
    kerasMajor: 3,
    backend: 'tensorflow',
    modelClass: 'Functional',
    layers: [
      ...inputs.map((i) => ({ name: i.name, className: 'InputLayer', config: {}, inbound: [], weights: [] })),
      ...layers,
    ],
    inputs,
    outputs: [{ name: 'out', ref: { layer: layers[layers.length - 1].name, nodeIndex: 0, tensorIndex: 0 } }],
  };
}

describe('the host plan of hash layers', () => {
  it('hashes an integer input read by nothing else before the graph runs', async () => {
    const engine = await createEngine(model([spec('Hashing', { num_bins: 1000 })], [input('int64')]), {
      threads: 1,
    });
    try {
      expect(engine.inputs).toEqual([{ name: 'x', shape: [null, 1] }]);
      const [out] = await engine.predict([{ data: Float32Array.from([1, -7, 123456]), dims: [3, 1] }]);
      expect(Array.from(out.data)).toEqual([849, 62, 998]);
      await expect(engine.predict([{ strings: ['1'], dims: [1, 1] }])).rejects.toThrow(/takes numbers/);
    } finally {
      await engine.dispose();
    }
  });

  it('refuses Hashing on a string input called twice, and a Hashing on a computed tensor', async () => {
    const twice = spec('Hashing', { num_bins: 3 });
    twice.inbound.push(twice.inbound[0]);
    expect(() => planStringInputs(model([twice], [input('string')]))).toThrow(
      /Hashing\) on the string input x: it runs only when called once directly on model inputs/,
    );
    const dense = { ...spec('Activation', { activation: 'relu' }), name: 'd' };
    const computed = { ...spec('Hashing', { num_bins: 3 }, ['d']), name: 'h' };
    await expect(createEngine(model([dense, computed], [input('float32')]))).rejects.toThrow(
      /Hashing on a computed tensor/,
    );
  });

  it('keeps a numeric input that a compiled layer reads too', async () => {
    const relu = { ...spec('Activation', { activation: 'relu' }), name: 'r' };
    const m = model([spec('Hashing', { num_bins: 1000 }), relu], [input('int64')]);
    m.outputs = [
      { name: 'h', ref: { layer: 'h', nodeIndex: 0, tensorIndex: 0 } },
      { name: 'r', ref: { layer: 'r', nodeIndex: 0, tensorIndex: 0 } },
    ];
    const engine = await createEngine(m, { threads: 1 });
    try {
      const [hashed, kept] = await engine.predict([
        { data: Float32Array.from([1, -7, 123456]), dims: [3, 1] },
      ]);
      expect(Array.from(hashed.data)).toEqual([849, 62, 998]);
      expect(Array.from(kept.data)).toEqual([1, 0, 123456]);
    } finally {
      await engine.dispose();
    }
  });

  it('shows the hash layers of a real model as run on the host', async () => {
    const file = join(import.meta.dirname, '..', '..', 'fixtures', 'models', 'hashing_feature_model.keras');
    const m = await loadModel(file);
    const kinds = Object.fromEntries(layerHandling(m, null).map((h, i) => [m.layers[i].className, h.kind]));
    expect(kinds).toMatchObject({
      Hashing: 'host',
      HashedCrossing: 'host',
      Embedding: 'onnx',
      Dense: 'onnx',
    });
  });
});
