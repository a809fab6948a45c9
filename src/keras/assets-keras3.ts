/**
 * Assets of Keras 3 `.keras` zips: an adapted IntegerLookup keeps its vocabulary, special tokens first, in
 * `assets/<entry path>/vocabulary.txt` (keras/src/layers/preprocessing/index_lookup.py `save_assets`), under
 * the same per-class entry names as the weights store (keras/src/saving/saving_lib.py).
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

/** Puts the vocabulary asset of every adapted IntegerLookup (config `vocabulary` null) into its config. */
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
    if (layer.className !== 'IntegerLookup' || (vocabulary !== undefined && vocabulary !== null)) continue;
    const asset = files[`${entry}/vocabulary.txt`];
    const values = asset ? integerLines(asset) : null;
    if (values && values.length > 0) layer.config.vocabulary = values;
  }
}
