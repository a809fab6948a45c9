import type { NumericArray } from '../scoring/index.js';
import { InputError } from '../util/errors.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The already-parsed `values` of an online request as float32 arrays, with the same rules and error codes as
 * the seed file parser (`parseValues`): rectangular, numbers only, within float32. One array per model
 * input: `values` itself for one input, `values[i]` for input `i` of several. Avoids re-encoding the JSON.
 */
export function valuesFromJson(values: unknown, inputCount: number): NumericArray[] {
  if (inputCount === 1) return [flatten(values, '"values"')];
  if (!Array.isArray(values) || values.length !== inputCount)
    throw new InputError(
      'INPUT_WRONG_INPUT_COUNT',
      `the model has ${inputCount} inputs: "values" must be a list of ${inputCount} arrays, one per input`,
    );
  return values.map((v, i) => flatten(v, `"values"[${i}]`));
}

function flatten(root: unknown, label: string): NumericArray {
  const dims: number[] = [];
  let x = root;
  while (Array.isArray(x)) {
    dims.push(x.length);
    if (x.length === 0) break;
    x = x[0];
  }
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
