import { scanNumericArray } from './fast-array.js';
import { Ch, JsonCursor } from './json-cursor.js';

/** A rectangular numeric array read from JSON: its dimensions and its values in row-major order. */
export interface NumericArray {
  dims: number[];
  data: Float32Array;
}

/** A rectangular array of strings read from JSON (for a string model input), row-major. */
export interface StringArray {
  dims: number[];
  strings: string[];
}

/** The `values` of one model input: numbers, or strings for a string input. */
export type ValuesArray = NumericArray | StringArray;

/**
 * One scratch buffer shared by every parse on this thread (parsing is synchronous): numbers land here first and
 * each result is one exact-size copy, so a job of 100,000 files does not leave a growable buffer per file to GC.
 */
let scratch: Float32Array = new Float32Array(1 << 16);

/**
 * A single-pass JSON reader for seed input files (`{"values": [...]}`) that writes the numbers of `values`
 * straight into a Float32Array, never building intermediate JS arrays. Other keys are skipped (but still
 * checked to be valid JSON). Errors say where and what, in terms a user can act on.
 */
export class ValuesParser extends JsonCursor {
  private data: Float32Array = scratch;
  private length = 0;
  /** Whether the array being read holds strings (a string model input) rather than numbers. */
  private stringMode = false;
  private strings: string[] = [];
  protected stringInputs: readonly boolean[] = [];
  private leafDepth = -1;

  /**
   * Reads the top-level object and returns the `values` it holds, one array per model input; inputs marked in
   * `stringInputs` take strings.
   */
  parseValues(inputCount: number, stringInputs: readonly boolean[] = []): ValuesArray[] {
    this.stringInputs = stringInputs;
    if (this.bytes.length === 0 || this.skipSpace() === -1) this.fail('INPUT_EMPTY', 'the file is empty');
    if (this.bytes[this.pos] !== Ch.LBrace) {
      this.skipValueChecked();
      this.fail('INPUT_NOT_OBJECT', 'the file must hold one JSON object {"values": ...}');
    }
    this.pos += 1;
    let result: ValuesArray[] | null = null;
    if (this.skipSpace() === Ch.RBrace) this.pos += 1;
    else {
      for (;;) {
        const key = this.readString();
        this.expect(Ch.Colon, '":"');
        if (key === 'values') {
          if (result) this.fail('INPUT_DUPLICATE_VALUES', 'the object has "values" twice');
          result =
            inputCount === 1
              ? [this.readArray('values', this.stringInputs[0] === true)]
              : this.readInputs(inputCount);
        } else this.skipValueChecked();
        const c = this.skipSpace();
        this.pos += 1;
        if (c === Ch.RBrace) break;
        if (c !== Ch.Comma) {
          this.pos -= 1;
          this.syntax('expected "," or "}"');
        }
      }
    }
    if (this.skipSpace() !== -1) this.syntax('unexpected text after the object');
    if (!result) this.fail('INPUT_NO_VALUES', 'the object has no "values" key');
    return result;
  }

  /** `values` for a model with several inputs: a list with one array per input. */
  protected readInputs(count: number): ValuesArray[] {
    this.expect(Ch.LBracket, '"[" (a list with one array per model input)');
    const out: ValuesArray[] = [];
    for (;;) {
      if (out.length === count)
        this.fail(
          'INPUT_WRONG_INPUT_COUNT',
          `"values" must hold ${count} arrays, one per model input; it has more`,
        );
      out.push(this.readArray(`values[${out.length}]`, this.stringInputs[out.length] === true));
      const c = this.skipSpace();
      this.pos += 1;
      if (c === Ch.RBracket) break;
      if (c !== Ch.Comma) {
        this.pos -= 1;
        this.syntax('expected "," or "]"');
      }
    }
    if (out.length !== count) {
      this.fail(
        'INPUT_WRONG_INPUT_COUNT',
        `"values" must hold ${count} arrays, one per model input; it has ${out.length}`,
      );
    }
    return out;
  }

  /** Reads a rectangular nested array of numbers (or strings); a bare number (string) is a rank-0 array. */
  protected readArray(label: string, strings = false): ValuesArray {
    this.length = 0;
    this.leafDepth = -1;
    this.stringMode = strings;
    this.strings = [];
    const dims: number[] = [];
    const c = this.skipSpace();
    if (c === Ch.LBracket && !strings) {
      const scan = { dims, data: this.data, length: 0 };
      const end = scanNumericArray(this.bytes, this.pos, scan);
      if (scan.data !== this.data) {
        this.data = scan.data;
        if (scan.data.length <= 1 << 24) scratch = scan.data;
      }
      if (end !== -1) {
        this.pos = end;
        return { dims: scan.dims, data: scan.data.slice(0, scan.length) };
      }
      dims.length = 0;
    }
    if (c === Ch.LBracket) this.readLevel(0, dims, label);
    else if (strings) {
      if (c !== Ch.Quote)
        this.fail(
          'INPUT_NOT_STRING',
          `${label} is for a string input and must be a string or an array of strings, found ${this.describeToken()}`,
        );
      this.readLeaf(label);
    } else if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) this.push(this.readNumber(label));
    else
      this.fail('INPUT_NOT_NUMERIC', `${label} must be an array of numbers, found ${this.describeToken()}`);
    if (strings) return { dims, strings: this.strings };
    return { dims, data: this.data.slice(0, this.length) };
  }

  /** One leaf of the array being read: a number, or a string for a string input. */
  private readLeaf(label: string): void {
    if (!this.stringMode) {
      this.push(this.readNumber(label));
      return;
    }
    if (this.skipSpace() !== Ch.Quote) {
      this.fail(
        'INPUT_NOT_STRING',
        `${label} holds ${this.describeToken()} where the model's string input takes strings (at ${this.where()})`,
      );
    }
    this.strings.push(this.readStringValue(label));
  }

  private readLevel(depth: number, dims: number[], label: string): void {
    this.pos += 1; // '['
    let count = 0;
    let c = this.skipSpace();
    if (c === Ch.RBracket) {
      this.pos += 1;
      this.checkDim(depth, dims, 0, label);
      if (dims.length > depth + 1 || this.leafDepth > depth) {
        this.fail('INPUT_RAGGED', `${label} is ragged: an empty list at depth ${depth}`);
      }
      return;
    }
    for (;;) {
      c = this.skipSpace();
      if (c === Ch.LBracket) {
        if (this.leafDepth !== -1 && this.leafDepth <= depth + 1) {
          this.fail(
            'INPUT_RAGGED',
            `${label} is ragged: ${this.stringMode ? 'strings' : 'numbers'} and lists mixed at depth ${depth + 1}`,
          );
        }
        this.readLevel(depth + 1, dims, label);
      } else {
        if (this.leafDepth === -1) this.leafDepth = depth + 1;
        else if (this.leafDepth !== depth + 1) {
          this.fail(
            'INPUT_RAGGED',
            `${label} is ragged: a ${this.stringMode ? 'string' : 'number'} where a list was expected at depth ${depth + 1}`,
          );
        }
        this.readLeaf(label);
      }
      count += 1;
      c = this.skipSpace();
      this.pos += 1;
      if (c === Ch.RBracket) break;
      if (c !== Ch.Comma) {
        this.pos -= 1;
        this.syntax('expected "," or "]"');
      }
    }
    this.checkDim(depth, dims, count, label);
  }

  private checkDim(depth: number, dims: number[], count: number, label: string): void {
    if (dims[depth] === undefined) dims[depth] = count;
    else if (dims[depth] !== count) {
      this.fail(
        'INPUT_RAGGED',
        `${label} is ragged: axis ${depth} has ${count} items in one place and ${dims[depth]} in another`,
      );
    }
  }

  private push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
      if (grown.length <= 1 << 24) scratch = grown; // keep up to 64 MiB for the next file
    }
    this.data[this.length] = value;
    this.length += 1;
  }
}

/**
 * Reads the `values` of a seed input file: one rectangular array per model input, of strings for the inputs
 * marked in `stringInputs` (string model inputs), of numbers otherwise.
 */
export function parseValues(bytes: Uint8Array, inputCount: number): NumericArray[];
export function parseValues(
  bytes: Uint8Array,
  inputCount: number,
  stringInputs: readonly boolean[],
): ValuesArray[];
export function parseValues(
  bytes: Uint8Array,
  inputCount: number,
  stringInputs: readonly boolean[] = [],
): ValuesArray[] {
  return new ValuesParser(bytes).parseValues(inputCount, stringInputs);
}
