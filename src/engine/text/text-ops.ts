/**
 * The string steps of Keras' TextVectorization (keras/src/layers/preprocessing/text_vectorization.py
 * `_preprocess`; tf_keras the same), as the TensorFlow ops it calls compute them:
 * - `tf.strings.lower` without an encoding lowers ASCII letters only (`absl::AsciiStrToLower`): `É` stays `É`;
 * - the punctuation regex `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']` (RE2) removes ASCII punctuation only;
 * - `tf.strings.split` without a separator splits on runs of ASCII whitespace (`absl::ascii_isspace`: space,
 *   `\t \n \v \f \r`), dropping empty pieces; no-break and other Unicode spaces stay inside tokens;
 * - `tf.strings.unicode_split(…, "UTF-8")` gives one token per code point;
 * - `tf.strings.ngrams(tokens, widths, separator=" ")`: for each width in order, every window of that width,
 *   none when the sequence is shorter than the width.
 */

export type Standardize = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | null;
export type Split = 'whitespace' | 'character' | null;

const ASCII_UPPER = /[A-Z]+/g;
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
const ASCII_SPACE = /[ \t\n\v\f\r]+/;

/** `tf.strings.lower(s)`: ASCII letters only. */
export function asciiLower(s: string): string {
  return s.replace(ASCII_UPPER, (m) => m.toLowerCase());
}

/** The punctuation Keras strips (ASCII punctuation only). */
export function stripPunctuation(s: string): string {
  return s.replace(PUNCTUATION, '');
}

export function standardize(s: string, mode: Standardize): string {
  let out = s;
  if (mode === 'lower' || mode === 'lower_and_strip_punctuation') out = asciiLower(out);
  if (mode === 'strip_punctuation' || mode === 'lower_and_strip_punctuation') out = stripPunctuation(out);
  return out;
}

/** `tf.strings.split` (whitespace) / `tf.strings.unicode_split` (character); `null` keeps the string whole. */
export function splitTokens(s: string, mode: Split): string[] {
  if (mode === null) return [s];
  if (mode === 'character') return Array.from(s);
  return s.split(ASCII_SPACE).filter((t) => t.length > 0);
}

/** `tf.strings.ngrams(tokens, widths, separator=" ")`. */
export function ngrams(tokens: string[], widths: readonly number[]): string[] {
  const out: string[] = [];
  for (const width of widths) {
    for (let i = 0; i + width <= tokens.length; i += 1) out.push(tokens.slice(i, i + width).join(' '));
  }
  return out;
}

/** Whether a string holds an unpaired UTF-16 surrogate (not valid Unicode, so not a UTF-8 string for TF). */
export function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
