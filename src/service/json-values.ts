import { hasLoneSurrogate } from '../engine/text/text-ops.js';
import type { NumericArray, StringArray, ValuesArray } from '../scoring/index.js';
import { InputError } from '../util/errors.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The already-parsed `values` of an online request as float32 arrays, with the same rules and error codes as
 * the seed file parser (`parseValues`): rectangular, numbers only, within float32; strings for the inputs
 * marked in `stringInputs`. One array per model input: `values` itself for one input, `values[i]` for input
 * `i` of several. Avoids re-encoding the JSON.
 */
export function valuesFromJson(
  values: unknown,
  inputCount: number,
  stringInputs: readonly boolean[] = [],
): ValuesArray[] {
  if (inputCount === 1) return [stringInputs[0] ? strings(values, '"values"') : flatten(values, '"values"')];
  if (!Array.isArray(values) || values.length !== inputCount)
    throw new InputError(
      'INPUT_WRONG_INPUT_COUNT',
      `the model has ${inputCount} inputs: "values" must be a list of ${inputCount} arrays, one per input`,
    );
  return values.map((v, i) =>
    stringInputs[i] ? strings(v, `"values"[${i}]`) : flatten(v, `"values"[${i}]`),
  );
}

/** The lengths along the first element at each depth: the shape a rectangular array has. */
function leadingDims(root: unknown): number[] {
  const dims: number[] = [];
  let x = root;
  while (Array.isArray(x)) {
    dims.push(x.length);
    if (x.length === 0) break;
    x = x[0];
  }
  return dims;
}

/** A rectangular array of strings (a bare string is rank 0), with the file parser's rules and codes. */
function strings(root: unknown, label: string): StringArray {
  const dims = leadingDims(root);
  const out: string[] = [];
  const walk = (node: unknown, depth: number, at: string) => {
    if (depth === dims.length) {
      if (typeof node !== 'string')
        throw new InputError(
          'INPUT_NOT_STRING',
          `${label}${at} is ${Array.isArray(node) ? 'an array' : JSON.stringify(node)}, not a string (the model input takes strings)`,
        );
      if (hasLoneSurrogate(node))
        throw new InputError(
          'INPUT_NOT_STRING',
          `${label}${at} holds an unpaired surrogate (not valid Unicode)`,
        );
      out.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth])
      throw new InputError(
        'INPUT_RAGGED',
        `${label}${at} ${Array.isArray(node) ? `has ${node.length} items where the first row has ${dims[depth]}` : 'is a string where an array is expected'} (the arrays must be rectangular)`,
      );
    node.forEach((item, i) => {
      walk(item, depth + 1, `${at}[${i}]`);
    });
  };
  walk(root, 0, '');
  return { dims, strings: out };
}

function flatten(root: unknown, label: string): NumericArray {
  const dims = leadingDims(root);
  if (dims.length === 0) throw new InputError('INPUT_NOT_NUMERIC', `${label} must be an array of numbers`);
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  let n = 0;
  const at: number[] = [];
  const where = () => at.map((i) => `[${i}]`).join('');
  const walk = (node: unknown, depth: number) => {
    if (depth === dims.length) {
      if (typeof node !== 'number')
        throw new InputError(
          'INPUT_NOT_NUMERIC',
          `${label}${where()} is ${Array.isArray(node) ? 'an array' : JSON.stringify(node)}, not a number (the values are ragged or not numeric)`,
        );
      if (!Number.isFinite(node) || Math.abs(node) > FLOAT32_MAX)
        throw new InputError('INPUT_NOT_FINITE', `${label}${where()} is ${node}: beyond float32`);
      data[n] = node;
      n += 1;
      return;
    }
    if (!Array.isArray(node) || node.length !== dims[depth])
      throw new InputError(
        'INPUT_RAGGED',
        `${label}${where()} ${Array.isArray(node) ? `has ${node.length} items where the first row has ${dims[depth]}` : 'is a number where an array is expected'} (the arrays must be rectangular)`,
      );
    at.push(0);
    for (let i = 0; i < node.length; i += 1) {
      at[depth] = i;
      walk(node[i], depth + 1);
    }
    at.pop();
  };
  walk(root, 0);
  return { dims, data };
}
