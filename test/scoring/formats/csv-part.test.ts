import { describe, expect, it } from 'vitest';
import { csvSplitPoints, plainLine } from '../../../src/scoring/formats/csv-part.js';

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

describe('where a CSV file can be cut', () => {
  it('at the first row at or after each offset, with the rows and lines before it', async () => {
    const text = 'a,b\n1,2\n\n3,4\n5,6\n';
    const split = await csvSplitPoints(once(text), [1, 5, 9, 10, 14], ',');
    expect(split.header?.toString()).toBe('a,b\n');
    expect(split.points).toEqual([
      { at: 4, rows: 0, lines: 1 },
      { at: 9, rows: 1, lines: 3 },
      { at: 13, rows: 2, lines: 4 },
    ]);
  });

  it('never after a line that may not end its record', async () => {
    const text = 'a,b\n1,2\n"x\ny",3\n5,6\n7,8\n';
    const split = await csvSplitPoints(once(text), [2, 5, 14, 18], ',');
    expect(split.points).toEqual([{ at: 4, rows: 0, lines: 1 }]);
    expect((await csvSplitPoints(once('a,b\r\n1,2\r\n3,4\n5,6\r\n'), [5, 11, 15], ',')).points).toEqual([
      { at: 5, rows: 0, lines: 1 },
    ]);
    // A lone CRLF before the header is blank in a CRLF file, and no place to cut at all in an LF one.
    expect((await csvSplitPoints(once('\r\na,b\r\n1,2\r\n'), [3], ',')).points).toEqual([
      { at: 7, rows: 0, lines: 2 },
    ]);
    expect((await csvSplitPoints(once('\r\na,b\n1,2\n'), [3], ',')).points).toEqual([]);
    expect((await csvSplitPoints(once('\n\n'), [1], ',')).header).toBeNull();
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
