import { hasLoneSurrogate } from '../engine/text/text-ops.js';
import { InputError } from '../util/errors.js';

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

const utf8 = new TextDecoder('utf-8', { fatal: true });

enum Ch {
  Space = 0x20,
  Tab = 0x09,
  Lf = 0x0a,
  Cr = 0x0d,
  Quote = 0x22,
  Comma = 0x2c,
  Minus = 0x2d,
  Plus = 0x2b,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  LBracket = 0x5b,
  Backslash = 0x5c,
  RBracket = 0x5d,
  LBrace = 0x7b,
  RBrace = 0x7d,
  LowerE = 0x65,
  UpperE = 0x45,
}

/** Exact powers of ten a double holds (Clinger's fast path is exact for them). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * One scratch buffer shared by every parse on this thread (parsing is synchronous): numbers land here first and
 * each result is one exact-size copy, so a job of 100,000 files does not leave a growable buffer per file to GC.
 */
let scratch = new Float32Array(1 << 16);

/** The text of ASCII bytes (a number's characters), decoded natively when they are a Buffer (most inputs). */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(bytes)
    ? bytes.toString('latin1', start, end)
    : String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

/**
 * A single-pass JSON reader for seed input files (`{"values": [...]}`) that writes the numbers of `values`
 * straight into a Float32Array, never building intermediate JS arrays. Other keys are skipped (but still
 * checked to be valid JSON). Errors say where and what, in terms a user can act on.
 */
export class ValuesParser {
  private pos = 0;
  private data: Float32Array = scratch;
  private length = 0;
  /** Whether the array being read holds strings (a string model input) rather than numbers. */
  private stringMode = false;
  private strings: string[] = [];

  constructor(private readonly bytes: Uint8Array) {}

  private fail(code: string, message: string): never {
    throw new InputError(code, message);
  }

  private where(): string {
    let line = 1;
    let col = 1;
    for (let i = 0; i < this.pos && i < this.bytes.length; i += 1) {
      if (this.bytes[i] === Ch.Lf) {
        line += 1;
        col = 1;
      } else col += 1;
    }
    return `line ${line}, column ${col}`;
  }

  private syntax(what: string): never {
    this.fail('INPUT_NOT_JSON', `not valid JSON: ${what} at ${this.where()}`);
  }

  private skipSpace(): number {
    const b = this.bytes;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p];
      if (c !== Ch.Space && c !== Ch.Lf && c !== Ch.Cr && c !== Ch.Tab) break;
      p += 1;
    }
    this.pos = p;
    return p < b.length ? b[p] : -1;
  }

  private expect(ch: number, what: string): void {
    if (this.skipSpace() !== ch) this.syntax(`expected ${what}`);
    this.pos += 1;
  }

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

  private stringInputs: readonly boolean[] = [];

  /** `values` for a model with several inputs: a list with one array per input. */
  private readInputs(count: number): ValuesArray[] {
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
  private readArray(label: string, strings = false): ValuesArray {
    this.length = 0;
    this.leafDepth = -1;
    this.stringMode = strings;
    this.strings = [];
    const dims: number[] = [];
    const c = this.skipSpace();
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

  /** A JSON string value: escapes decoded, UTF-8 checked, unpaired surrogate escapes refused. */
  private readStringValue(label: string): string {
    const b = this.bytes;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    while (p < b.length && b[p] !== Ch.Quote) {
      if (b[p] < 0x20) {
        this.pos = p;
        this.syntax('a control character inside a string');
      }
      if (b[p] === Ch.Backslash) {
        escaped = true;
        p += 1;
      }
      p += 1;
    }
    if (p >= b.length) this.syntax('unterminated string');
    let raw: string;
    try {
      raw = utf8.decode(b.subarray(start, p + 1));
    } catch {
      this.fail('INPUT_NOT_STRING', `${label} holds a string that is not valid UTF-8 (at ${this.where()})`);
    }
    let value = raw.slice(1, -1);
    if (escaped) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        this.syntax('an invalid escape in a string');
      }
    }
    this.pos = p + 1;
    if (hasLoneSurrogate(value))
      this.fail(
        'INPUT_NOT_STRING',
        `${label} holds a string with an unpaired surrogate escape (not valid Unicode) (at ${this.where()})`,
      );
    return value;
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

  private leafDepth = -1;

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

  private describeToken(): string {
    const c = this.skipSpace();
    if (c === -1) return 'the end of the file';
    if (c === Ch.Quote) return 'a string';
    if (c === Ch.LBrace) return 'an object';
    const word = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + 12)).split(/[\s,\]}]/)[0];
    return `"${word}"`;
  }

  /** Reads a JSON number: Clinger's exact fast path for up to 15 digits, `Number()` beyond. */
  private readNumber(label: string): number {
    const b = this.bytes;
    const start = this.pos;
    let p = start;
    let negative = false;
    if (b[p] === Ch.Minus) {
      negative = true;
      p += 1;
    }
    if (!(b[p] >= Ch.Zero && b[p] <= Ch.Nine)) {
      this.pos = start;
      const token = this.describeToken();
      if (/^-?(NaN|Infinity)/.test(token.replace(/"/g, ''))) {
        this.fail('INPUT_NOT_FINITE', `${label} holds ${token}: NaN and Infinity are not valid inputs`);
      }
      this.fail('INPUT_NOT_NUMERIC', `${label} holds ${token}, not a number (at ${this.where()})`);
    }
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    while (p < b.length && b[p] >= Ch.Zero && b[p] <= Ch.Nine) {
      if (digits < 15) {
        mantissa = mantissa * 10 + (b[p] - Ch.Zero);
        if (mantissa !== 0) digits += 1;
      } else {
        digits += 1;
        scale += 1;
      }
      p += 1;
    }
    if (b[p] === Ch.Dot) {
      p += 1;
      if (!(b[p] >= Ch.Zero && b[p] <= Ch.Nine)) {
        this.pos = p;
        this.syntax('a digit must follow "."');
      }
      while (p < b.length && b[p] >= Ch.Zero && b[p] <= Ch.Nine) {
        if (digits < 15) {
          mantissa = mantissa * 10 + (b[p] - Ch.Zero);
          if (mantissa !== 0) digits += 1;
          scale -= 1;
        } else digits += 1;
        p += 1;
      }
    }
    let exponent = 0;
    if (b[p] === Ch.LowerE || b[p] === Ch.UpperE) {
      p += 1;
      let expNegative = false;
      if (b[p] === Ch.Minus || b[p] === Ch.Plus) {
        expNegative = b[p] === Ch.Minus;
        p += 1;
      }
      if (!(b[p] >= Ch.Zero && b[p] <= Ch.Nine)) {
        this.pos = p;
        this.syntax('a digit must follow the exponent');
      }
      while (p < b.length && b[p] >= Ch.Zero && b[p] <= Ch.Nine) {
        exponent = exponent * 10 + (b[p] - Ch.Zero);
        if (exponent > 100000) exponent = 100000;
        p += 1;
      }
      if (expNegative) exponent = -exponent;
    }
    this.pos = p;
    let value: number;
    const e = scale + exponent;
    if (digits <= 15 && e >= -22 && e <= 22) value = e < 0 ? mantissa / POW10[-e] : mantissa * POW10[e];
    else value = Number(asciiText(b, negative ? start + 1 : start, p));
    if (!Number.isFinite(value) || Math.abs(value) > 3.4028234663852886e38) {
      this.fail('INPUT_NOT_FINITE', `${label} holds a number too large for float32 (at ${this.where()})`);
    }
    return negative ? -value : value;
  }

  private readString(): string {
    if (this.skipSpace() !== Ch.Quote) this.syntax('expected a key in double quotes');
    const b = this.bytes;
    const start = this.pos;
    let p = start + 1;
    let escaped = false;
    while (p < b.length && b[p] !== Ch.Quote) {
      if (b[p] === Ch.Backslash) {
        escaped = true;
        p += 1;
      }
      p += 1;
    }
    if (p >= b.length) this.syntax('unterminated string');
    this.pos = p + 1;
    const raw = new TextDecoder().decode(b.subarray(start, p + 1));
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  /** Skips any JSON value, checking its syntax. */
  private skipValueChecked(): void {
    const c = this.skipSpace();
    if (c === Ch.Quote) {
      this.readString();
      return;
    }
    if (c === Ch.LBrace || c === Ch.LBracket) {
      const close = c === Ch.LBrace ? Ch.RBrace : Ch.RBracket;
      this.pos += 1;
      if (this.skipSpace() === close) {
        this.pos += 1;
        return;
      }
      for (;;) {
        if (c === Ch.LBrace) {
          this.readString();
          this.expect(Ch.Colon, '":"');
        }
        this.skipValueChecked();
        const n = this.skipSpace();
        this.pos += 1;
        if (n === close) return;
        if (n !== Ch.Comma) {
          this.pos -= 1;
          this.syntax(`expected "," or "${String.fromCharCode(close)}"`);
        }
      }
    }
    if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) {
      this.readNumber('a value');
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + word.length)) === word) {
        this.pos += word.length;
        return;
      }
    }
    this.syntax(c === -1 ? 'unexpected end of file' : 'unexpected character');
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
