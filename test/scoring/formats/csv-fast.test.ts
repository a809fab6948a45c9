import { describe, expect, it } from 'vitest';
import { readCsvFast } from '../../../src/scoring/formats/csv-fast.js';
import { type CsvReadOptions, readCsv } from '../../../src/scoring/formats/csv-reader.js';

const spec = [{ name: 'x', shape: [null, 3] as (number | null)[] }];

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

type Reader = typeof readCsv;
async function rows(read: Reader, text: string, o: CsvReadOptions, size: number) {
  const out: unknown[] = [];
  let header: unknown = null;
  try {
    for await (const page of read(chunks(text, size), spec, o, (h) => {
      header = h;
    })) {
      for (const r of page) {
        const t = r.records?.tensors[0];
        out.push({ ...r, records: t && 'data' in t ? [...t.data] : undefined });
      }
    }
  } catch (error) {
    out.push(`thrown ${(error as Error).message}`);
  }
  return { header, out };
}

describe('readCsvFast', () => {
  let seed = 5;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const cell = () => {
    const r = rand();
    if (r < 0.03) return '';
    if (r < 0.05) return 'abc';
    if (r < 0.06) return ' NaN ';
    if (r < 0.07) return '1e400';
    if (r < 0.08)
      return ['+1', '.5', '5.', '-0', '-0.0', '1E5', ' 3', '3 ', '0x10', '-', '1.', '007', '-.5'][
        Math.floor(rand() * 13)
      ];
    if (r < 0.09)
      return `${Math.floor(rand() * 1e6)}.${'0'.repeat(Math.floor(rand() * 25))}${Math.floor(rand() * 100)}`;
    return ((rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 3)).toPrecision(1 + Math.floor(rand() * 17));
  };
  const file = (lines: number, extra: (i: number) => string | null = () => null) => {
    const out = ['id,a,b,c'];
    for (let i = 0; i < lines; i += 1) {
      const r = rand();
      const special = extra(i);
      if (special !== null) out.push(special);
      else if (r < 0.03) out.push('');
      else if (r < 0.05) out.push(`r${i},${cell()}`);
      else if (r < 0.06) out.push('   ');
      else out.push(`r${i},${cell()},${cell()},${cell()}`);
    }
    return out.join('\n');
  };

  it('reads plain CSV row for row as csv-parse does (numbers, errors, lines, ids, fields)', async () => {
    for (const [text, size] of [
      [`${file(3000)}\n`, 4096],
      [file(500), 7],
      [`\ufeff${file(200)}\n\n\n`, 100],
      [`\n\n${file(50)}`, 1 << 20],
      ['', 10],
      ['\n\n', 10],
    ] as [string, number][]) {
      for (const o of [
        { delimiter: ',', idColumn: 'id', keepFields: false },
        { delimiter: ',', columns: ['c', 'a', 'b'], keepFields: true },
        { delimiter: ',', columns: ['c', 'a', 'b'], keepFields: false },
        { delimiter: ',', columns: ['b', 'c', 'a'], idColumn: 'a', keepFields: false },
        { delimiter: ',', idColumn: 'b', columns: ['a', 'c', 'id'], keepFields: false },
      ]) {
        const want = await rows(readCsv, text, o, size);
        const got = await rows(readCsvFast, text, o, size);
        expect(got).toEqual(want);
      }
    }
  });

  it('hands the rest of the file to csv-parse from the first block with a quote or a carriage return', async () => {
    const o = { delimiter: ',', idColumn: 'id', keepFields: true };
    for (const special of [
      '"r, quoted",1,2,3',
      'r,"1\n2",3,4',
      'rx,1,2,3\r',
      '"bad"x,1,2,3',
      'r,"unterminated,1,2',
    ]) {
      const text = `${file(20000, (i) => (i === 15000 ? special : null))}\n`;
      const want = await rows(readCsv, text, o, 65536);
      const got = await rows(readCsvFast, text, o, 65536);
      expect(got.out.length).toBeGreaterThan(14000);
      expect(got).toEqual(want);
    }
    const crlf = `${file(100).replace(/\n/g, '\r\n')}\r\n`;
    expect(await rows(readCsvFast, crlf, o, 50)).toEqual(await rows(readCsv, crlf, o, 50));
  });
});
