/**
 * Assets of Keras 3 `.keras` zips: an adapted IntegerLookup, StringLookup or TextVectorization keeps its
 * vocabulary, special tokens first, in `assets/<entry path>/vocabulary.txt` (keras/src/layers/preprocessing/
 * index_lookup.py `save_assets`, text_vectorization.py), under the same per-class entry names as the weights
 * store (keras/src/saving/saving_lib.py).
 */
import type { RawModel } from './raw-model.js';
import { toSnakeCase } from './weights-keras3.js';

/** Zip members the loader keeps for {@link assignKeras3Assets}. */
export const isVocabularyAsset = (name: string): boolean => /^assets\/.+\/vocabulary\.txt$/.test(name);

/** The integers of a vocabulary file, or null when a line is not an integer. */
function integerLines(bytes: Uint8Array): number[] | null {
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const values = lines.map((l) => (/^-?\d+$/.test(l.trim()) ? Number(l.trim()) : Number.NaN));
  return values.every(Number.isSafeInteger) ? values : null;
}

/**
 * The lines of a string vocabulary file as `load_assets` reads them: Python's `str.splitlines()` (which also
 * breaks at \v, \f, \x1c-\x1e, \x85, U+2028, U+2029), trailing empty lines dropped; the mask token `""`
 * is the first, empty line.
 */
export function stringLines(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python's line boundaries include \x1c-\x1e
  const lines = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const VOCABULARY_CLASSES = new Set(['IntegerLookup', 'StringLookup', 'TextVectorization']);

/** Puts the vocabulary asset of every adapted lookup layer (config `vocabulary` null) into its config. */
export function assignKeras3Assets(
  model: RawModel,
  files: Record<string, Uint8Array>,
  path = 'assets/layers',
): void {
  const used = new Map<string, number>();
  for (const layer of model.layers) {
    if (layer.synthesized) continue;
    const base = toSnakeCase(layer.className === 'Model' ? 'Functional' : layer.className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const entry = `${path}/${n === undefined ? base : `${base}_${n + 1}`}`;
    if (layer.model) {
      assignKeras3Assets(layer.model, files, `${entry}/layers`);
      continue;
    }
    const vocabulary = layer.config.vocabulary;
    if (!VOCABULARY_CLASSES.has(layer.className) || (vocabulary !== undefined && vocabulary !== null))
      continue;
    const asset = files[`${entry}/vocabulary.txt`];
    if (layer.className !== 'IntegerLookup') {
      if (asset) layer.config.vocabulary = stringLines(asset);
      continue;
    }
    const values = asset ? integerLines(asset) : null;
    if (values && values.length > 0) layer.config.vocabulary = values;
  }
}
