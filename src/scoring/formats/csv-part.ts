/**
 * Where a large CSV file can be cut into parts whose rows together are the file's rows, each numbered as in the
 * whole file (docs/scaling.md, "Large files"). A line start is a record start only while every line before it
 * ends its record whatever follows: a line is "plain" when it has no carriage return but a CRLF ending (as the
 * header has it) and each of its quotes belongs to a field quoted from its first byte to a closing quote right
 * before the delimiter or the line's end. The file is cut only at rows before its first line that is not plain.
 */
import { splitBlocks } from './lines.js';

/** A place to cut a CSV file: a row's byte offset, and the data rows and lines before it. */
export interface CsvSplitPoint {
  at: number;
  rows: number;
  lines: number;
}

/** Where a CSV file can be cut. */
export interface CsvSplit {
  /** The file's header line (with its line break), or null when it has none. */
  header: Buffer | null;
  /**
   * For each wanted offset, the first row at or after it: ascending, none twice, and none at or after the file's
   * first line that is not plain.
   */
  points: CsvSplitPoint[];
}

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * What the lines so far have told: whether the header was read, whether it ends in CRLF, and whether a blank
 * line before it was a lone CRLF (only blank in a CRLF file).
 */
interface LineState {
  header: boolean;
  crlf: boolean;
  crBlank: boolean;
}

type LineKind = 'blank' | 'header' | 'row' | 'other';

/**
 * Reads a CSV file once (`body`, from byte 0) and finds, for each of the ascending offsets `wanted`, the first
 * row that starts at or after it, up to the first line that is not plain.
 */
export async function csvSplitPoints(
  body: AsyncIterable<Uint8Array>,
  wanted: readonly number[],
  delimiter: string,
): Promise<CsvSplit> {
  const d = delimiter.charCodeAt(0);
  const state: LineState = { header: false, crlf: false, crBlank: false };
  const split: CsvSplit = { header: null, points: [] };
  let next = 0; // the first wanted offset without a point
  let rows = 0;
  let pos = 0; // the file offset of `block`
  for await (const { bytes, before } of splitBlocks(body, 1 << 18)) {
    const block = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const simple = isSimple(block);
    let lines = before;
    for (let s = 0; s < block.length; lines += 1) {
      if (next >= wanted.length) return split;
      const nl = block.indexOf(NL, s);
      const e = nl === -1 ? block.length : nl;
      // A byte order mark is not the header's first field.
      const bom = pos + s === 0 && block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf ? 3 : 0;
      const kind = lineKind(block, s + bom, e, nl !== -1, d, state, simple);
      if (kind === 'other') return split;
      if (kind === 'header') split.header = Buffer.from(block.subarray(s, nl === -1 ? e : nl + 1));
      if (kind === 'row') {
        const at = pos + s;
        if (wanted[next] <= at) split.points.push({ at, rows, lines });
        while (next < wanted.length && wanted[next] <= at) next += 1;
        rows += 1;
      }
      s = e + 1;
    }
    pos += block.length;
  }
  return split;
}

/** Bytes without a quote or a carriage return: in a file of LF lines, each line is blank or a row at a glance. */
const isSimple = (b: Buffer) => b.indexOf(QUOTE) === -1 && b.indexOf(CR) === -1;

/** An empty line, or in a CRLF file a lone CRLF: CSV parsers skip both. */
function isBlank(b: Buffer, s: number, e: number, ended: boolean, state: LineState): boolean {
  return e === s || (state.header && state.crlf && ended && e === s + 1 && b[s] === CR);
}

/** What the line `[s, e)` is (`ended`: a newline follows it); reading the header sets `state`. */
function lineKind(
  b: Buffer,
  s: number,
  e: number,
  ended: boolean,
  d: number,
  state: LineState,
  simple: boolean,
): LineKind {
  if (isBlank(b, s, e, ended, state)) return 'blank';
  if (!state.header) {
    if (ended && e === s + 1 && b[s] === CR) {
      state.crBlank = true;
      return 'blank';
    }
    const crlf = ended && b[e - 1] === CR;
    if (!simple && !plainLine(b, s, e, d, crlf, ended)) return 'other';
    if (state.crBlank && !crlf) return 'other';
    state.header = true;
    state.crlf = crlf;
    return 'header';
  }
  return (simple && !state.crlf) || plainLine(b, s, e, d, state.crlf, ended) ? 'row' : 'other';
}

/**
 * Whether the line `[s, e)` of `b` (`ended`: a newline follows it) is a whole record whatever comes after it:
 * carriage returns only as the CRLF ending (`crlf`), and each field either unquoted without a quote, or quoted
 * from its first byte to a closing quote right before the delimiter or the line's end (`""` inside).
 */
export function plainLine(
  b: Buffer,
  s: number,
  e: number,
  d: number,
  crlf: boolean,
  ended: boolean,
): boolean {
  let end = e;
  if (crlf && ended) {
    if (end === s || b[end - 1] !== CR) return false;
    end -= 1;
  }
  let p = s;
  while (p < end) {
    if (b[p] === QUOTE) {
      for (p += 1; ; p += 1) {
        if (p >= end || b[p] === CR) return false;
        if (b[p] !== QUOTE) continue;
        if (p + 1 < end && b[p + 1] === QUOTE) p += 1;
        else break;
      }
      p += 1; // the closing quote
      if (p === end) return true;
      if (b[p] !== d) return false;
    } else {
      for (; p < end && b[p] !== d; p += 1) if (b[p] === QUOTE || b[p] === CR) return false;
      if (p === end) return true;
    }
    p += 1; // the delimiter
  }
  return true;
}
