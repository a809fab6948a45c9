/**
 * The fast path of {@link ValuesParser.readArray} for the common case: a rectangular nested array of plain
 * numbers, read in one flat loop (no recursion, no per-number calls). It gives up (returns -1) on anything
 * else — strings, empty lists, ragged lists, bad syntax, a number outside the exact fast path's reach or too
 * large for float32 — and the caller then reads the same bytes with the general parser, which accepts or
 * rejects them with its own exact error. So when this succeeds, it gives exactly what the general parser gives.
 */

/** Exact powers of ten a double holds (Clinger's fast path is exact for them). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const F32_MAX = 3.4028234663852886e38;

/** The text of ASCII bytes, decoded natively (through a Buffer view when they are not a Buffer already). */
function asciiText(bytes: Uint8Array, start: number, end: number): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1', start, end);
}

/** Dimensions found and values written by {@link scanNumericArray}. */
export interface ScanOut {
  dims: number[];
  /** Grown when too small (the caller keeps it for the next array). */
  data: Float32Array;
  length: number;
}

/**
 * Reads the array starting at `start` (which holds `[`) into `out.data` from index 0; returns the position
 * just after it, or -1 to let the general parser read it.
 */
export function scanNumericArray(b: Uint8Array, start: number, out: ScanOut): number {
  const end = b.length;
  const dims: number[] = [];
  const counts: number[] = [];
  let data = out.data;
  let length = 0;
  let depth = -1;
  let leafDepth = -1;
  let p = start;
  let c = 0;
  // Expecting a value: an opening bracket or a number.
  for (;;) {
    c = b[p];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
    if (c === 0x5b) {
      depth += 1;
      if (leafDepth !== -1 && depth >= leafDepth) return -1;
      counts[depth] = 0;
      p += 1;
      continue;
    }
    // A number (JSON grammar, as JsonCursor.readNumber reads it).
    if (leafDepth === -1) leafDepth = depth + 1;
    else if (leafDepth !== depth + 1) return -1;
    if (depth < 0) return -1;
    let negative = false;
    if (c === 0x2d) {
      negative = true;
      c = b[++p];
    }
    const first = p;
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    // Up to 4 digits after the first 15 significant ones, for the float32 check below.
    let extra = 0;
    let extraDigits = 0;
    while (c >= 0x30 && c <= 0x39) {
      if (digits < 15) {
        mantissa = mantissa * 10 + (c - 0x30);
        if (mantissa !== 0) digits += 1;
      } else {
        digits += 1;
        scale += 1;
        if (extraDigits < 4) {
          extra = extra * 10 + (c - 0x30);
          extraDigits += 1;
        }
      }
      c = b[++p];
    }
    if (c === 0x2e) {
      c = b[++p];
      if (!(c >= 0x30 && c <= 0x39)) return -1;
      while (c >= 0x30 && c <= 0x39) {
        if (digits < 15) {
          mantissa = mantissa * 10 + (c - 0x30);
          if (mantissa !== 0) digits += 1;
          scale -= 1;
        } else {
          digits += 1;
          if (extraDigits < 4) {
            extra = extra * 10 + (c - 0x30);
            extraDigits += 1;
          }
        }
        c = b[++p];
      }
    }
    if (c === 0x65 || c === 0x45) {
      c = b[++p];
      let expNegative = false;
      if (c === 0x2d || c === 0x2b) {
        expNegative = c === 0x2d;
        c = b[++p];
      }
      if (!(c >= 0x30 && c <= 0x39)) return -1;
      let exponent = 0;
      while (c >= 0x30 && c <= 0x39) {
        exponent = exponent * 10 + (c - 0x30);
        if (exponent > 100000) exponent = 100000;
        c = b[++p];
      }
      scale += expNegative ? -exponent : exponent;
    }
    let value: number;
    if (digits <= 15 && scale >= -22 && scale <= 22) {
      value = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
    } else value = longValue(b, first, p, scale - extraDigits, mantissa * POW10[extraDigits] + extra);
    if (!(Math.abs(value) <= F32_MAX)) return -1;
    if (length === data.length) data = grow(out);
    data[length] = negative ? -value : value;
    length += 1;
    // After a value: "," or "]" (closing as many levels as it says).
    for (;;) {
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
      if (c === 0x2c) {
        counts[depth] += 1;
        p += 1;
        break;
      }
      if (c !== 0x5d) return -1;
      const count = counts[depth] + 1;
      if (dims[depth] === undefined) dims[depth] = count;
      else if (dims[depth] !== count) return -1;
      depth -= 1;
      p += 1;
      if (depth < 0) {
        out.dims = dims;
        out.length = length;
        return p > end ? -1 : p;
      }
      c = b[p];
    }
  }
}

/** Doubles `out.data`, keeping its values. */
function grow(out: ScanOut): Float32Array {
  const grown = new Float32Array(out.data.length * 2);
  grown.set(out.data);
  out.data = grown;
  return grown;
}

/**
 * A number with more digits than a double's exact fast path (`m` × 10^`s`, m its first 15-19 significant digits):
 * a close estimate (within a few units of the last place of a double) is enough when the float32 it rounds to is
 * the same all around it, as it then is for the exact double too; else the exact conversion of the text, as the
 * general parser does.
 */
function longValue(b: Uint8Array, first: number, end: number, s: number, m: number): number {
  if (s >= -22 && s <= 22) {
    const v = s < 0 ? m / POW10[-s] : m * POW10[s];
    const e = v * 3.552713678800501e-15; // 2^-48 relative
    const f = Math.fround(v);
    if (v < 3e38 && Math.fround(v - e) === f && Math.fround(v + e) === f) return f;
  }
  return Number(asciiText(b, first, end));
}
