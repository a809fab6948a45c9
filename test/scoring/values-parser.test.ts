import { describe, expect, it } from 'vitest';
import { parseValues } from '../../src/scoring/values-parser.js';

const enc = (s: string) => new TextEncoder().encode(s);

function parseOne(text: string) {
  return parseValues(enc(text), 1)[0];
}

describe('parseValues', () => {
  it('reads nested arrays into row-major float32 with their dims', () => {
    const out = parseOne('{"values": [[[1, 2.5], [3, -4e-2]], [[5, 6], [7, 8]]]}');
    expect(out.dims).toEqual([2, 2, 2]);
    expect([...out.data]).toEqual([1, 2.5, 3, -0.04, 5, 6, 7, 8].map(Math.fround));
  });

  it('gives exactly the float32 of JavaScript Number() for many random decimals', () => {
    const values: string[] = [];
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 5000; i += 1) {
      const kind = i % 5;
      const v = (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10);
      values.push(
        kind === 0
          ? v.toExponential(8)
          : kind === 1
            ? String(Math.fround(v))
            : kind === 2
              ? v.toFixed(3)
              : kind === 3
                ? String(v)
                : v.toPrecision(17),
      );
    }
    const out = parseOne(`{"values": [${values.join(',')}]}`);
    expect(out.dims).toEqual([values.length]);
    values.forEach((text, i) => {
      expect(out.data[i]).toBe(Math.fround(Number(text)));
    });
  });

  it('reads long decimals (k/255, float32 midpoints, 17+ digits) as float32(Number(text)), nested or not', () => {
    const values: string[] = [];
    for (let k = 0; k < 256; k += 1) values.push(String(k / 255), (-k / 3).toPrecision(19));
    for (let i = 1; i < 400; i += 1) {
      // Halfway between two neighbouring float32s, and a hair either side: the rounding must match Number().
      const a = Math.fround(i * 0.0123456);
      const next = new Float32Array([a]);
      new Uint32Array(next.buffer)[0] += 1;
      const mid = (a + next[0]) / 2;
      values.push(
        mid.toPrecision(17),
        (mid * (1 + 2 ** -52)).toPrecision(17),
        (mid * (1 - 2 ** -52)).toPrecision(17),
      );
    }
    values.push(
      '3.4028234663852886e38',
      '1.17549435082228750797e-38',
      '0.000000000000000000012345678901234567',
    );
    const flat = parseOne(`{"values": [${values.join(', ')}]}`);
    const nested = parseOne(`{"values": [${values.map((v) => `[ ${v} ]`).join(',\n')}]}`);
    expect(nested.dims).toEqual([values.length, 1]);
    values.forEach((text, i) => {
      expect(flat.data[i]).toBe(Math.fround(Number(text)));
      expect(nested.data[i]).toBe(Math.fround(Number(text)));
    });
    expect(() => parseOne('{"values": [[1], [3.4028235677973366e38]]}')).toThrow(/too large for float32/);
  });

  it('skips other keys, whatever they hold, and accepts values anywhere in the object', () => {
    const out = parseOne(
      '{"meta": {"a": [1, {"b": "x]"}], "c": null, "d": true}, "values": [1, 2], "z": "\\"q"}',
    );
    expect([...out.data]).toEqual([1, 2]);
  });

  it('reads several model inputs as one array per input', () => {
    const [a, b] = parseValues(enc('{"values": [[[1, 2, 3]], [[4], [5]]]}'), 2);
    expect(a.dims).toEqual([1, 3]);
    expect(b.dims).toEqual([2, 1]);
  });

  const failures: [string, string, RegExp][] = [
    ['', 'INPUT_EMPTY', /empty/],
    ['   \n', 'INPUT_EMPTY', /empty/],
    ['{"values": [1, 2', 'INPUT_NOT_JSON', /not valid JSON/],
    ['[1, 2]', 'INPUT_NOT_OBJECT', /one JSON object/],
    ['{"value": [1]}', 'INPUT_NO_VALUES', /no "values"/],
    ['{"values": [[1, 2], [3]]}', 'INPUT_RAGGED', /axis 1 has 1 items in one place and 2/],
    ['{"values": [[1, 2], 3]}', 'INPUT_RAGGED', /ragged/],
    ['{"values": [1, "2"]}', 'INPUT_NOT_NUMERIC', /a string|not a number/],
    ['{"values": [1, NaN]}', 'INPUT_NOT_FINITE', /NaN/],
    ['{"values": [1, -Infinity]}', 'INPUT_NOT_FINITE', /Infinity/],
    ['{"values": [1e39]}', 'INPUT_NOT_FINITE', /too large/],
    ['{"values": [1, null]}', 'INPUT_NOT_NUMERIC', /null/],
    ['{"values": "abc"}', 'INPUT_NOT_NUMERIC', /array of numbers/],
    ['{"values": [1]} x', 'INPUT_NOT_JSON', /after the object/],
    ['{"values": [1.]}', 'INPUT_NOT_JSON', /digit must follow/],
  ];
  for (const [text, code, message] of failures) {
    it(`refuses ${JSON.stringify(text)} with ${code}`, () => {
      expect(() => parseOne(text)).toThrowError(message);
      try {
        parseOne(text);
      } catch (error) {
        expect((error as { code: string }).code).toBe(code);
        expect((error as Error).message).toMatch(/^\[scoring\]/);
      }
    });
  }
});
