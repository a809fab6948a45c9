import { describe, expect, it } from 'vitest';
import { csvFormat } from '../../../src/batch/formats/csv.js';
import type { FormatOptions } from '../../../src/batch/formats/types.js';
import { plainLine } from '../../../src/scoring/formats/csv-part.js';

const specs = [{ name: 'x', shape: [null, 3] as (number | null)[] }];
const outputs = [{ name: 'y', shape: [null, 2] as (number | null)[] }];

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** What a reader made of a file (or a part): each row's number, line, id, values or error, and the header. */
async function readItems(bytes: Buffer, options: FormatOptions, chunk: number) {
  const file = csvFormat(specs, outputs, options).open('f.csv');
  const rows: unknown[] = [];
  try {
    for await (const page of file.items(chunks(bytes, chunk))) {
      for (const item of page) {
        const t = item.records?.tensors[0];
        const values = t && 'data' in t ? [...t.data] : undefined;
        rows.push({ n: item.n, line: item.line, id: item.id, values, error: item.error?.code });
      }
    }
  } catch (error) {
    rows.push(`thrown ${(error as Error).message}`);
  }
  return { rows, header: file.prelude?.() ?? '' };
}

/** Random CSV text of ids and three numbers, with the kinds of lines people's files have. */
function csvText(seed: number, rows: number, kind: 'lf' | 'crlf' | 'quoted' | 'multiline'): Buffer {
  let x = seed;
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.floor((x / 2147483648) * n);
  };
  const eol = kind === 'crlf' ? '\r\n' : '\n';
  const lines: string[] = [kind === 'quoted' ? '"id","a","b","c"' : 'id,a,b,c'];
  if (seed % 3 === 0) lines.unshift('', ''); // blank lines before the header
  for (let i = 0; i < rows; i += 1) {
    const r = rand(40);
    const id = kind === 'quoted' && r % 2 === 0 ? `"r ""${i}"", x"` : `r${i}`;
    if (r === 0) lines.push('');
    else if (r === 1)
      lines.push(`${id},1,2`); // ragged
    else if (r === 2)
      lines.push(`${id},1,two,3`); // not a number
    else if (kind === 'multiline' && i === Math.floor(rows / 2)) lines.push(`"r${i}\nsecond line",1,2,3`);
    else lines.push(`${id},${rand(100)},${rand(1000) / 8},-${rand(50)}`);
  }
  const text = lines.join(eol) + (seed % 2 === 0 ? eol : '');
  return Buffer.from(seed % 5 === 0 ? `\ufeff${text}` : text);
}

describe('byte-range parts of a CSV file', () => {
  for (const kind of ['lf', 'crlf', 'quoted', 'multiline'] as const) {
    for (const seed of [1, 2, 3, 5, 6]) {
      it(`${kind} file ${seed}: the parts' rows are the file's rows, numbered alike, one header out`, async () => {
        const bytes = csvText(seed, 80, kind);
        const options: FormatOptions = { idColumn: 'id' };
        const whole = await readItems(bytes, options, 1 << 16);
        expect(whole.rows.length).toBeGreaterThan(70);
        expect(whole.header.startsWith('id,prediction_0')).toBe(true);
        for (const split of [1, 9, 64, 700, bytes.length]) {
          const count = Math.ceil(bytes.length / split);
          const rows: unknown[] = [];
          const headers: string[] = [];
          for (let index = 0; index < count; index += 1) {
            const csvPart = {
              start: index * split,
              end: Math.min(bytes.length, (index + 1) * split),
              last: index === count - 1,
            };
            const part = await readItems(bytes, { ...options, csvPart }, 1 + ((seed * 13 + index) % 97));
            rows.push(...part.rows);
            if (part.header) headers.push(part.header);
          }
          expect(rows, `parts of ${split} bytes`).toEqual(whole.rows);
          expect(headers).toEqual([whole.header]);
        }
      });
    }
  }

  it('a file of blank lines fails once, in its last part; a part of blank lines reads nothing', async () => {
    const bytes = Buffer.from('\n'.repeat(50));
    const read = (start: number, end: number, last: boolean) =>
      readItems(bytes, { csvPart: { start, end, last } }, 7);
    expect((await read(0, 25, false)).rows).toEqual([]);
    expect((await read(25, 50, true)).rows).toEqual(['thrown [scoring] the file has no header row']);
  });

  it('tells the lines that end a record whatever follows from those that may not', () => {
    const plain = (text: string, crlf = false, ended = true) =>
      plainLine(Buffer.from(text), 0, Buffer.byteLength(text), 0x2c, crlf, ended);
    expect(plain('a,1,2')).toBe(true);
    expect(plain('"a, b",1,"2"')).toBe(true);
    expect(plain('"say ""hi""",1,')).toBe(true);
    expect(plain('a,1,2\r', true)).toBe(true);
    expect(plain('a,1,2', true, false)).toBe(true); // the last line of a CRLF file, without its CRLF
    expect(plain('a,1,2', true)).toBe(false); // an LF line in a CRLF file
    expect(plain('a,1\r,2')).toBe(false);
    expect(plain('"a,1,2')).toBe(false); // a quoted field open at the line's end
    expect(plain('"a"b,1,2')).toBe(false);
    expect(plain('a"b,1,2')).toBe(false);
    expect(plain('"a""')).toBe(false);
  });
});
