import type {
  LookupConfig,
  StringLookupConfig,
  TextVectorizationConfig,
} from '../../keras/layer-classes/preprocessing.js';
/**
 * StringLookup and TextVectorization run on the host (strings cannot enter the ONNX graph as we build it):
 * each turns the string records of one model input into the float32 tensor Keras' layer outputs, which then
 * feeds the compiled graph. Semantics of keras/src/layers/preprocessing/index_lookup.py, string_lookup.py and
 * text_vectorization.py (tf_keras the same): the vocabulary keeps its special tokens first (mask for `int`,
 * then the OOV slots), `num_oov_indices=0` raises on an OOV token (that record's outputs become NaN here),
 * several OOV slots take `to_hash_bucket_fast` (FarmHash Fingerprint64) of the token, or with a `salt`
 * `to_hash_bucket_strong` (SipHash-2-4), mod the slot count; `multi_hot`/`count`/`tf_idf` are per-record bincounts.
 */
import type { LayerSpec, Shape } from '../../keras/model.js';
import { ConfigReader, unsupported } from '../layers/config.js';
import type { Tensor } from '../types.js';
import { bincountRow, type Encoding, encodedShape, encodeIndices, type Mode } from './encode.js';
import { saltOf } from './hash-layers.js';
import { fingerprint64, sipHash24, sipHashKey } from './hashes.js';
import { ngrams, type Split, type Standardize, splitTokens, standardize } from './text-ops.js';

/** One host-side string layer: its output shape for an input shape, and its forward pass. */
export interface StringLayer {
  readonly layer: LayerSpec;
  outputShape(input: Shape): Shape;
  /** Records in row-major order with their dims (batch first); returns the layer's float32 output. */
  run(strings: string[], dims: number[]): Tensor;
}

export const STRING_LAYER_CLASSES = new Set(['StringLookup', 'TextVectorization']);

/** The token → index table of a string IndexLookup, with Keras' special-token layout. */
class Lookup implements Encoding {
  private readonly index = new Map<string, number>();
  /** The OOV slot: after the mask's (only in `int` mode). */
  private readonly oovStart: number;
  /** Width of the encoded output (`multi_hot`, `count`, `tf_idf`, `one_hot`). */
  readonly depth: number;
  /** `tf_idf`: one weight per output slot. */
  readonly idf: Float64Array | null = null;
  /** With several OOV slots: the token's hash, whose remainder picks the slot. */
  private readonly oovHash: ((token: string) => bigint) | null;

  constructor(
    layer: LayerSpec,
    readonly mode: Mode,
    private readonly mask: string | null,
    oovToken: string,
    private readonly numOov: number,
    vocabulary: string[],
    maxTokens: number | null,
    padToMaxTokens: boolean,
    idfWeights: number[] | null,
  ) {
    const oovStart = mask !== null && mode === 'int' ? 1 : 0;
    this.oovStart = oovStart;
    const salt = numOov > 1 ? saltOf(layer) : null;
    const key = salt ? sipHashKey(salt) : null;
    this.oovHash = numOov <= 1 ? null : key ? (t) => sipHash24(key, t) : fingerprint64;
    const tokenStart = oovStart + numOov;
    const special = [...Array(oovStart).fill(mask), ...Array(numOov).fill(oovToken)];
    const foundSpecial = special.length <= vocabulary.length && special.every((t, i) => vocabulary[i] === t);
    const tokens = foundSpecial ? vocabulary.slice(tokenStart) : vocabulary;
    tokens.forEach((t, i) => {
      if (this.index.has(t)) unsupported(layer, `a vocabulary with the repeated token ${JSON.stringify(t)}`);
      this.index.set(t, tokenStart + i);
    });
    if (mask !== null && this.index.has(mask))
      unsupported(layer, 'a vocabulary holding the mask token after the special tokens');
    const size = tokenStart + tokens.length;
    if (maxTokens !== null && size > maxTokens)
      unsupported(layer, `a vocabulary of ${size} tokens over max_tokens ${maxTokens}`);
    if (mode === 'int') this.depth = size;
    else if (padToMaxTokens) {
      if (maxTokens === null) unsupported(layer, 'pad_to_max_tokens without max_tokens');
      this.depth = maxTokens;
    } else this.depth = size;
    const stored = layer.weights.find((w) => w.name.endsWith('idf_weights'));
    if (mode === 'tf_idf' && !idfWeights && stored) {
      // the stored weights are the layer's own, already padded: one per output slot
      if (stored.data.length !== this.depth)
        unsupported(layer, `stored idf_weights of ${stored.data.length} values`);
      this.idf = Float64Array.from(stored.data);
    } else if (mode === 'tf_idf') {
      if (!idfWeights)
        unsupported(
          layer,
          'output_mode "tf_idf" without its IDF weights (adapted ones are kept only in a .keras zip)',
        );
      if (idfWeights.length !== vocabulary.length)
        unsupported(layer, 'idf_weights of another length than the vocabulary');
      // index_lookup.py set_vocabulary: special slots get the mean weight when the vocabulary omits them
      const mean = idfWeights.reduce((a, b) => a + b, 0) / idfWeights.length;
      const front = foundSpecial ? [] : Array(tokenStart).fill(mean);
      const idf = new Float64Array(this.depth);
      [...front, ...idfWeights].forEach((w, i) => {
        if (i < idf.length) idf[i] = Math.fround(w);
      });
      this.idf = idf;
    }
  }

  /** The index of a token: -1 for the mask outside `int` (counts nowhere), NaN where Keras raises (no OOV slot). */
  indexOf(token: string): number {
    if (this.mask !== null && token === this.mask) return this.mode === 'int' ? 0 : -1;
    const found = this.index.get(token);
    if (found !== undefined) return found;
    if (this.numOov === 0) return Number.NaN;
    if (this.oovHash) return this.oovStart + Number(this.oovHash(token) % BigInt(this.numOov));
    return this.oovStart;
  }

  /** Bincount of one record's indices into `out` (multi_hot, count, tf_idf); all NaN when an index is NaN. */
  encodeRow(indices: number[], out: Float32Array, offset: number): void {
    bincountRow(this.mode, this.depth, indices, out, offset);
    if (this.idf) for (let k = 0; k < this.depth; k += 1) out[offset + k] *= this.idf[k];
  }
}

function stringList(layer: LayerSpec, key: string): string[] | null {
  const v = layer.config[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string')
    unsupported(layer, `${key} given as a file path (${JSON.stringify(v)}); the file is not in the model`);
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'string'))
    unsupported(layer, `${key} that is not a list of strings`);
  return v as string[];
}

function numberList(layer: LayerSpec, key: string): number[] | null {
  const v = layer.config[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((t) => typeof t === 'number' && Number.isFinite(t)))
    unsupported(layer, `${key} that is not a list of numbers`);
  return v as number[];
}

function optionalString(layer: LayerSpec, key: string, fallback: string | null): string | null {
  const v = layer.config[key];
  if (v === undefined) return fallback;
  if (v === null) return null;
  if (typeof v !== 'string') unsupported(layer, `${key} ${JSON.stringify(v)}`);
  return v;
}

function lookupOf(layer: LayerSpec, mode: Mode, mask: string | null, oov: string, numOov: number): Lookup {
  const cfg = new ConfigReader<LookupConfig>(layer);
  if (cfg.bool('sparse', false)) unsupported(layer, 'sparse=True (a sparse output)');
  if (cfg.bool('invert', false)) unsupported(layer, 'invert=True (indices back to strings)');
  const encoding = optionalString(layer, 'encoding', 'utf-8');
  if (encoding !== null && encoding.toLowerCase().replace('-', '') !== 'utf8')
    unsupported(layer, `encoding "${encoding}"`);
  if (numOov < 0 || !Number.isInteger(numOov)) unsupported(layer, `num_oov_indices ${numOov}`);
  const vocabulary = stringList(layer, 'vocabulary');
  if (!vocabulary || vocabulary.length === 0)
    unsupported(
      layer,
      'a layer without its vocabulary (an adapted one is kept only as an asset of a .keras zip, not in a .h5)',
    );
  return new Lookup(
    layer,
    mode,
    mask,
    oov,
    numOov,
    vocabulary,
    cfg.optionalNumber('max_tokens'),
    cfg.bool('pad_to_max_tokens', false),
    numberList(layer, 'idf_weights'),
  );
}

function outputMode(layer: LayerSpec, allowed: Mode[]): Mode {
  const raw = new ConfigReader<LookupConfig>(layer).string('output_mode', 'int');
  const mode = (raw === 'tf-idf' ? 'tf_idf' : raw) as Mode;
  if (!allowed.includes(mode)) unsupported(layer, `output_mode "${raw}"`);
  return mode;
}

/** StringLookup: each string of the input to its index (or encoded), the output shaped like the input. */
function stringLookup(layer: LayerSpec): StringLayer {
  const cfg = new ConfigReader<StringLookupConfig>(layer);
  const mode = outputMode(layer, ['int', 'one_hot', 'multi_hot', 'count', 'tf_idf']);
  const lookup = lookupOf(
    layer,
    mode,
    optionalString(layer, 'mask_token', null),
    optionalString(layer, 'oov_token', '[UNK]') ?? '[UNK]',
    cfg.number('num_oov_indices', 1),
  );
  return {
    layer,
    outputShape: (input) => encodedShape(lookup, input, layer),
    run(strings, dims) {
      const indices = new Float32Array(strings.length);
      strings.forEach((s, i) => {
        indices[i] = lookup.indexOf(s);
      });
      return encodeIndices(lookup, indices, dims);
    },
  };
}

function ngramWidths(layer: LayerSpec): number[] | null {
  const v = layer.config.ngrams;
  if (v === undefined || v === null) return null;
  const widths = typeof v === 'number' ? Array.from({ length: v }, (_, i) => i + 1) : v;
  if (!Array.isArray(widths) || !widths.every((w) => typeof w === 'number' && Number.isInteger(w) && w > 0))
    unsupported(layer, `ngrams ${JSON.stringify(v)}`);
  return widths as number[];
}

/**
 * TextVectorization: standardize, split, ngrams, then the lookup (mask token `""`, OOV token `[UNK]`, one OOV
 * slot). `int` pads each record's indices with 0 or truncates them to `output_sequence_length`.
 */
function textVectorization(layer: LayerSpec): StringLayer {
  const cfg = new ConfigReader<TextVectorizationConfig>(layer);
  const mode = outputMode(layer, ['int', 'multi_hot', 'count', 'tf_idf']);
  if (cfg.bool('ragged', false)) unsupported(layer, 'ragged=True (a ragged output)');
  // a missing key is Keras' default; null is None
  const std =
    layer.config.standardize === undefined ? 'lower_and_strip_punctuation' : layer.config.standardize;
  if (std !== null && std !== 'lower_and_strip_punctuation' && std !== 'lower' && std !== 'strip_punctuation')
    unsupported(layer, `standardize ${JSON.stringify(std)} (a custom function)`);
  const split = layer.config.split === undefined ? 'whitespace' : layer.config.split;
  if (split !== null && split !== 'whitespace' && split !== 'character')
    unsupported(layer, `split ${JSON.stringify(split)} (a custom function)`);
  const widths = ngramWidths(layer);
  if (widths && split === null) unsupported(layer, 'ngrams without split');
  const seqLen = cfg.optionalNumber('output_sequence_length');
  if (seqLen !== null && (!Number.isInteger(seqLen) || seqLen < 1))
    unsupported(layer, `output_sequence_length ${seqLen}`);
  const lookup = lookupOf(layer, mode, '', '[UNK]', 1);
  const tokensOf = (s: string): string[] => {
    const tokens = splitTokens(standardize(s, std as Standardize), split as Split);
    return widths ? ngrams(tokens, widths) : tokens;
  };
  const outputShape = (input: Shape): Shape => {
    let base = input;
    if (split !== null) {
      if (input.length > 2 || (input.length === 2 && input[1] !== 1))
        unsupported(layer, `splitting an input of shape [${input}] (the last axis must be 1, or rank 1)`);
      base = [input[0]];
    }
    if (mode !== 'int') {
      if (split === null && base.length !== 2)
        unsupported(layer, `output_mode "${mode}" without split on an input of rank ${base.length}`);
      return [input[0], lookup.depth];
    }
    if (seqLen === null) {
      if (split !== null)
        unsupported(
          layer,
          'output_mode "int" with split and no output_sequence_length (Keras pads each batch to its longest record, so a record\'s output would depend on the other records of its batch)',
        );
      return base;
    }
    if (split !== null) return [input[0], seqLen];
    if (base.length < 2) unsupported(layer, 'output_sequence_length on an input of rank 1 without split');
    return [...base.slice(0, -1), seqLen];
  };
  return {
    layer,
    outputShape,
    run(strings, dims) {
      const batch = dims[0];
      const perRecord = strings.length / Math.max(batch, 1);
      // rows: the token lists each output row is made of
      const rows: string[][] =
        split === null
          ? mode === 'int'
            ? strings.map((s) => [standardize(s, std as Standardize)])
            : Array.from({ length: batch }, (_, r) =>
                strings
                  .slice(r * perRecord, (r + 1) * perRecord)
                  .map((s) => standardize(s, std as Standardize)),
              )
          : strings.map(tokensOf);
      if (mode === 'int') {
        const indices = rows.map((tokens) => tokens.map((t) => lookup.indexOf(t)));
        if (split === null) {
          // one index per string; output_sequence_length trims or pads the last axis
          const flat = Float32Array.from(indices.map((r) => r[0]));
          const last = dims[dims.length - 1];
          const encoded = encodeIndices(lookup, flat, dims);
          if (seqLen === null) return encoded;
          const outer = flat.length / last;
          const data = new Float32Array(outer * seqLen);
          for (let o = 0; o < outer; o += 1)
            for (let k = 0; k < Math.min(last, seqLen); k += 1)
              data[o * seqLen + k] = encoded.data[o * last + k];
          return { data, dims: [...dims.slice(0, -1), seqLen] };
        }
        const len = seqLen as number;
        const data = new Float32Array(batch * len);
        indices.forEach((row, r) => {
          const bad = row.some(Number.isNaN);
          for (let k = 0; k < len; k += 1) data[r * len + k] = bad ? Number.NaN : k < row.length ? row[k] : 0;
        });
        return { data, dims: [batch, len] };
      }
      const data = new Float32Array(batch * lookup.depth);
      rows.forEach((tokens, r) => {
        lookup.encodeRow(
          tokens.map((t) => lookup.indexOf(t)),
          data,
          r * lookup.depth,
        );
      });
      return { data, dims: [batch, lookup.depth] };
    },
  };
}

/** The host implementation of a string layer, checked against its config (throws naming what is refused). */
export function stringLayer(layer: LayerSpec): StringLayer {
  if (layer.className === 'StringLookup') return stringLookup(layer);
  if (layer.className === 'TextVectorization') return textVectorization(layer);
  return unsupported(layer, 'a string input (only StringLookup and TextVectorization take strings)');
}
