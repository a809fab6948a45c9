import type { FileFormat, InputFormat } from './types.js';

const IMAGE_GLOB = '**/*.{png,jpg,jpeg,webp,gif,bmp,tif,tiff}'; // globs match any case
const IMAGE_ENDINGS = /\.(png|jpe?g|webp|gif|bmp|tiff?)$/i;

/** File name endings of each format (`auto` reads them so; `.gz` only for JSON Lines). */
const ENDINGS: [RegExp, FileFormat][] = [
  [/\.json$/i, 'json'],
  [/\.(jsonl|ndjson)(\.gz)?$/i, 'jsonl'],
  [/\.(csv|tsv)$/i, 'csv'],
  [/\.zip$/i, 'zip'],
  [/\.(npy|npz)$/i, 'npy'],
  [IMAGE_ENDINGS, 'image'],
];

/** The `--include` globs a job uses when none are given: the seed's `**\/*.json`, or every ending of `auto`. */
export function defaultInclude(format: InputFormat = 'auto'): string[] {
  switch (format) {
    case 'json':
      return ['**/*.json'];
    case 'jsonl':
      return ['**/*.{jsonl,ndjson,jsonl.gz,ndjson.gz}'];
    case 'csv':
      return ['**/*.{csv,tsv}'];
    case 'zip':
      return ['**/*.zip'];
    case 'npy':
      return ['**/*.{npy,npz}'];
    case 'image':
      return [IMAGE_GLOB];
    default:
      return ['**/*.{json,jsonl,ndjson,jsonl.gz,ndjson.gz,csv,tsv,zip,npy,npz}', IMAGE_GLOB];
  }
}

/** The format a key is read as: the one chosen, or by its ending for `auto` (a seed JSON file otherwise). */
export function formatOfKey(key: string, format: InputFormat = 'auto'): FileFormat {
  if (format !== 'auto') return format;
  for (const [ending, kind] of ENDINGS) if (ending.test(key)) return kind;
  return 'json';
}

/** The input formats a user may name. */
export const INPUT_FORMATS: readonly InputFormat[] = ['auto', 'json', 'jsonl', 'csv', 'zip', 'npy', 'image'];
