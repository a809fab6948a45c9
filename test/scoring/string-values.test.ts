/**
 * String records for string model inputs: a JSON string, or arrays of strings with or without the batch axis;
 * a number where a string is expected (and a string where a number is expected) is a clear input error.
 */
import { describe, expect, it } from 'vitest';
import type { StringTensor, Tensor, TensorSpec } from '../../src/engine/types.js';
import { concatRecords, readInputFile } from '../../src/scoring/index.js';
import { shapeRecords } from '../../src/scoring/records.js';
import { valuesFromJson } from '../../src/service/json-values.js';
import type { KerasBatchError } from '../../src/util/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const text: TensorSpec = { name: 'text', shape: [null, 1], dtype: 'string' };
const tokens: TensorSpec = { name: 'tokens', shape: [null, 3], dtype: 'string' };
const nums: TensorSpec = { name: 'x', shape: [null, 2] };

const read = (json: string, specs: TensorSpec[]) => readInputFile(enc(json), specs);
const strings = (json: string, specs: TensorSpec[] = [text], input = 0) =>
  read(json, specs).tensors[input] as StringTensor;

function failure(json: string, specs: TensorSpec[]): KerasBatchError {
  try {
    read(json, specs);
  } catch (error) {
    return error as KerasBatchError;
  }
  throw new Error('parsed');
}

describe('string inputs in seed files', () => {
  it('takes one bare string as one record', () => {
    const r = read('{"values": "Hello, world!"}', [text]);
    expect(r.count).toBe(1);
    expect(r.tensors[0]).toEqual({ strings: ['Hello, world!'], dims: [1, 1] });
  });

  it('takes a flat list of strings as one record each, and the full batch axis', () => {
    expect(strings('{"values": ["a", "b", "c"]}')).toEqual({ strings: ['a', 'b', 'c'], dims: [3, 1] });
    expect(strings('{"values": [["a"], ["b"]]}')).toEqual({ strings: ['a', 'b'], dims: [2, 1] });
    expect(strings('{"values": ["x", "y", "z"]}', [tokens])).toEqual({
      strings: ['x', 'y', 'z'],
      dims: [1, 3],
    });
    expect(strings('{"values": [["x", "y", "z"], ["1", "2", "3"]]}', [tokens]).dims).toEqual([2, 3]);
  });

  it('decodes escapes and keeps unicode, empty strings and spaces as written', () => {
    const got = strings(
      String.raw`{"values": ["caf\u00e9 \"q\"\n\ttab", "", "  Straße 😀 ", "\ud83d\ude00"]}`,
    );
    expect(got.strings).toEqual(['café "q"\n\ttab', '', '  Straße 😀 ', '😀']);
  });

  it('a number where a string is expected fails, naming the input', () => {
    const e = failure('{"values": ["a", 3]}', [text]);
    expect(e.code).toBe('INPUT_NOT_STRING');
    expect(e.message).toMatch(/values holds "3" where the model's string input takes strings/);
    expect(failure('{"values": 3}', [text]).message).toMatch(/string input and must be a string/);
    expect(failure('{"values": [null]}', [text]).code).toBe('INPUT_NOT_STRING');
  });

  it('a string where a number is expected fails', () => {
    const e = failure('{"values": [["a", "b"]]}', [nums]);
    expect(e.code).toBe('INPUT_NOT_NUMERIC');
    expect(e.message).toMatch(/holds a string, not a number/);
  });

  it('mixes string and numeric inputs of one model, each checked for its type', () => {
    const r = read('{"values": [["hi", "there"], [[1, 2], [3, 4]]]}', [text, nums]);
    expect(r.count).toBe(2);
    expect((r.tensors[0] as StringTensor).strings).toEqual(['hi', 'there']);
    expect(Array.from((r.tensors[1] as Tensor).data)).toEqual([1, 2, 3, 4]);
    expect(failure('{"values": [[1, 2], [[1, 2], [3, 4]]]}', [text, nums]).message).toMatch(
      /values\[0\] holds "1" where the model's string input takes strings/,
    );
    expect(failure('{"values": [["a"], [["a", "b"]]]}', [text, nums]).code).toBe('INPUT_NOT_NUMERIC');
  });

  it('refuses ragged string arrays, invalid UTF-8 and unpaired surrogates', () => {
    expect(failure('{"values": [["a", "b"], ["c"]]}', [tokens]).code).toBe('INPUT_RAGGED');
    expect(failure(String.raw`{"values": ["\ud800"]}`, [text]).message).toMatch(/unpaired surrogate/);
    const bad = new Uint8Array([...enc('{"values": ["'), 0xff, ...enc('"]}')]);
    expect(() => readInputFile(bad, [text])).toThrow(/not valid UTF-8/);
  });

  it('concatenates the string records of several files for one batch', () => {
    const a = read('{"values": "one"}', [text]);
    const b = read('{"values": ["two", "three"]}', [text]);
    expect(concatRecords([a, b])).toEqual([{ strings: ['one', 'two', 'three'], dims: [3, 1] }]);
  });
});

describe('string inputs in online requests', () => {
  it('reads strings for a string input and refuses numbers', () => {
    const r = shapeRecords(valuesFromJson(['a', 'b'], 1, [true]), [text]);
    expect(r.tensors[0]).toEqual({ strings: ['a', 'b'], dims: [2, 1] });
    expect(() => valuesFromJson(['a', 2], 1, [true])).toThrow(/not a string/);
    expect(() => shapeRecords(valuesFromJson([['a', 'b']], 1), [nums])).toThrow(/not a number/);
  });
});
