/**
 * The host-side string layers: TextVectorization's standardize/split/ngrams as TensorFlow computes them
 * (ASCII-only lowercasing and punctuation, ASCII whitespace), lookups, and every refusal with its reason.
 * The numbers of whole models are checked against real Keras by the `text_*` goldens.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import { planStringInputs } from '../../src/engine/text/string-inputs.js';
import { stringLayer } from '../../src/engine/text/string-layers.js';
import {
  asciiLower,
  ngrams,
  splitTokens,
  standardize,
  stripPunctuation,
} from '../../src/engine/text/text-ops.js';
import type { LayerConfig, LayerSpec, ModelDescription, Shape } from '../../src/keras/model.js';

const layer = (className: string, config: LayerConfig, name = 'text'): LayerSpec => ({
  name,
  className,
  config,
  inbound: [{ inputs: [{ layer: 'words', nodeIndex: 0, tensorIndex: 0 }], kwargs: {} }],
  weights: [],
});

/** `Input(shape, dtype="string") -> layer`, the layer's output the model's output. */
function textModel(spec: LayerSpec, shape: Shape = [null, 1], dtype = 'string'): ModelDescription {
  return {
    name: 'text',
    format: 'keras3-zip',
    kerasVersion: '3.15.1',
    kerasMajor: 3,
    backend: 'tensorflow',
    modelClass: 'Functional',
    layers: [{ name: 'words', className: 'InputLayer', config: {}, inbound: [], weights: [] }, spec],
    inputs: [{ name: 'words', shape, dtype }],
    outputs: [{ name: spec.name, ref: { layer: spec.name, nodeIndex: 0, tensorIndex: 0 } }],
  };
}

const refusal = (model: ModelDescription): string => {
  try {
    planStringInputs(model);
  } catch (error) {
    return (error as Error).message;
  }
  return 'planned';
};

describe('TextVectorization text steps, as TensorFlow computes them', () => {
  it('lowercases ASCII letters only (tf.strings.lower without an encoding)', () => {
    expect(asciiLower('DÉJÀ Vu ÄÖÜ Straße İI')).toBe('dÉjÀ vu ÄÖÜ straße İi');
    expect(asciiLower('')).toBe('');
  });

  it('strips ASCII punctuation only, inside words too', () => {
    expect(stripPunctuation(`it's x.y a-b "q" [z] {w} 50% a_b c\\d ~^|\`@`)).toBe(
      'its xy ab q z w 50 ab cd ',
    );
    expect(stripPunctuation('«guillemets» ¡hola! — dash … ellipsis')).toBe(
      '«guillemets» ¡hola — dash … ellipsis',
    );
  });

  it('standardizes in each mode', () => {
    const s = "The Café's DÉJÀ-vu!";
    expect(standardize(s, 'lower_and_strip_punctuation')).toBe('the cafés dÉjÀvu');
    expect(standardize(s, 'lower')).toBe("the café's dÉjÀ-vu!");
    expect(standardize(s, 'strip_punctuation')).toBe('The Cafés DÉJÀvu');
    expect(standardize(s, null)).toBe(s);
  });

  it('splits on runs of ASCII whitespace only, dropping empty pieces', () => {
    expect(splitTokens('  a   b\tc\nd\re\vf\fg  ', 'whitespace')).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
    ]);
    expect(splitTokens('no\u00a0break\u2003em', 'whitespace')).toEqual(['no\u00a0break\u2003em']);
    expect(splitTokens('', 'whitespace')).toEqual([]);
    expect(splitTokens('   ', 'whitespace')).toEqual([]);
  });

  it('splits characters by code point', () => {
    expect(splitTokens('aé😀 b', 'character')).toEqual(['a', 'é', '😀', ' ', 'b']);
    expect(splitTokens('', 'character')).toEqual([]);
    expect(splitTokens(' a b ', null)).toEqual([' a b ']);
  });

  it('makes ngrams width by width, joined by a space, none when the text is shorter', () => {
    expect(ngrams(['a', 'b', 'c'], [1, 2])).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    expect(ngrams(['a', 'b', 'c'], [3, 1])).toEqual(['a b c', 'a', 'b', 'c']);
    expect(ngrams(['a'], [2])).toEqual([]);
    expect(ngrams([], [1, 2])).toEqual([]);
  });
});

describe('string layers on the host', () => {
  it('StringLookup: special tokens first, mask to 0, OOV to its slot', () => {
    const lookup = stringLayer(layer('StringLookup', { vocabulary: ['b', 'a'], mask_token: '' }));
    const out = lookup.run(['a', '', 'zz', 'b'], [2, 2]);
    expect(Array.from(out.data)).toEqual([3, 0, 1, 2]);
    expect(out.dims).toEqual([2, 2]);
  });

  it('StringLookup with num_oov_indices=0: a record with an OOV token is NaN (Keras raises)', () => {
    const lookup = stringLayer(layer('StringLookup', { vocabulary: ['b', 'a'], num_oov_indices: 0 }));
    const out = lookup.run(['a', 'b', 'a', 'zz'], [2, 2]);
    expect(Array.from(out.data.subarray(0, 2))).toEqual([1, 0]);
    expect(Array.from(out.data.subarray(2)).every(Number.isNaN)).toBe(true);
  });

  it('TextVectorization int: tokens of tricky text, padded and truncated to output_sequence_length', () => {
    const tv = stringLayer(
      layer('TextVectorization', {
        vocabulary: ['', '[UNK]', 'the', 'cafés', 'déjà', 'vu'],
        output_sequence_length: 4,
      }),
    );
    expect(tv.outputShape([null, 1])).toEqual([null, 4]);
    const out = tv.run(["  The CAFÉ's   déjà-vu ", '', 'the the the the the', 'Déjà vu'], [4, 1]);
    expect(Array.from(out.data)).toEqual([2, 1, 1, 0, 0, 0, 0, 0, 2, 2, 2, 2, 4, 5, 0, 0]);
  });

  it('TextVectorization multi_hot/count with ngrams', () => {
    const config = { vocabulary: ['a', 'b', 'a b'], ngrams: 2 };
    const count = stringLayer(layer('TextVectorization', { ...config, output_mode: 'count' }));
    expect(Array.from(count.run(['a b a b c', ''], [2, 1]).data)).toEqual([3, 2, 2, 2, 0, 0, 0, 0]);
    const hot = stringLayer(layer('TextVectorization', { ...config, output_mode: 'multi_hot' }));
    expect(Array.from(hot.run(['a b a b c'], [1, 1]).data)).toEqual([1, 1, 1, 1]);
  });

  it.each([
    [layer('TextVectorization', { vocabulary: ['a'] }), /no output_sequence_length/],
    [layer('TextVectorization', { vocabulary: ['a'], ragged: true }), /ragged=True/],
    [layer('TextVectorization', { vocabulary: ['a'], standardize: { fn: 1 } }), /custom function/],
    [layer('TextVectorization', { vocabulary: ['a'], split: ',' }), /split ","/],
    [layer('TextVectorization', { vocabulary: null }), /without its vocabulary/],
    [layer('TextVectorization', { vocabulary: 'vocab.txt' }), /file path/],
    [layer('TextVectorization', { vocabulary: ['a'], output_mode: 'tf_idf' }), /without its IDF weights/],
    [layer('StringLookup', { vocabulary: ['a'], num_oov_indices: 2, salt: [1, 2, 3] }), /salt \[1,2,3\]/],
    [layer('StringLookup', { vocabulary: ['a'], invert: true }), /invert=True/],
    [layer('StringLookup', { vocabulary: ['a'], output_mode: 'count' }, 'x'), /rank 3/],
    [layer('Dense', { units: 2 }), /only StringLookup and TextVectorization can take strings/],
  ])('refuses %#: %s', (spec, reason) => {
    const shape: Shape = spec.name === 'x' ? [null, 2, 2] : [null, 1];
    expect(refusal(textModel(spec, shape))).toMatch(reason);
  });

  it('refuses a string layer that does not sit on a string input (at compile time)', async () => {
    const model = textModel(layer('StringLookup', { vocabulary: ['a'] }), [null, 1], 'float32');
    await expect(createEngine(model)).rejects.toThrow(/does not take a string model input directly/);
  });

  it('runs a model on string records and refuses numbers for a string input', async () => {
    const engine = await createEngine(textModel(layer('StringLookup', { vocabulary: ['b', 'a'] })), {
      threads: 1,
    });
    try {
      expect(engine.inputs[0].dtype).toBe('string');
      const [out] = await engine.predict([{ strings: ['a', 'q', 'b'], dims: [3, 1] }]);
      expect(Array.from(out.data)).toEqual([2, 0, 1]);
      await expect(engine.predict([{ data: new Float32Array(1), dims: [1, 1] }])).rejects.toThrow(
        /takes strings/,
      );
    } finally {
      await engine.dispose();
    }
  });
});
