import { hasLoneSurrogate } from '../engine/text/text-ops.js';
import { InputError } from '../util/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export enum Ch {
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
 * The text of ASCII bytes (a number's characters), decoded natively: through a Buffer view when they are not
 * a Buffer already (most inputs are).
 */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1', start, end);
}

/**
 * The JSON reading {@link ValuesParser} is built on: a position in the bytes, whitespace, numbers (Clinger's
 * fast path), strings, and skipping any value while checking its syntax. Errors say where, as line and column.
 */
export class JsonCursor {
  protected pos = 0;

  constructor(protected readonly bytes: Uint8Array) {}

  protected fail(code: string, message: string): never {
    throw new InputError(code, message);
  }

  protected where(): string {
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

  protected syntax(what: string): never {
    this.fail('INPUT_NOT_JSON', `not valid JSON: ${what} at ${this.where()}`);
  }

  protected skipSpace(): number {
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

  protected expect(ch: number, what: string): void {
    if (this.skipSpace() !== ch) this.syntax(`expected ${what}`);
    this.pos += 1;
  }

  protected describeToken(): string {
    const c = this.skipSpace();
    if (c === -1) return 'the end of the file';
    if (c === Ch.Quote) return 'a string';
    if (c === Ch.LBrace) return 'an object';
    const word = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + 12)).split(/[\s,\]}]/)[0];
    return `"${word}"`;
  }

  /** A JSON string value: escapes decoded, UTF-8 checked, unpaired surrogate escapes refused. */
  protected readStringValue(label: string): string {
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

  /** Reads a JSON number: Clinger's exact fast path for up to 15 digits, `Number()` beyond. */
  protected readNumber(label: string): number {
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

  protected readString(): string {
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
  protected skipValueChecked(): void {
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
