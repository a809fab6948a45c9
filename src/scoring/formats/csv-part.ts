/**
 * One byte-range part of a large CSV file, read so that the parts' rows together are the file's rows, each
 * numbered as in the whole file (docs/scaling.md, "Large files"). A part's rows are those on the lines that
 * start in its range, which is only right while every newline ends a record: a line is "plain" when a CSV
 * parser ends its record at the line's end whatever follows (no carriage return but a CRLF ending, every quote
 * closing a quoted field before the delimiter or the line's end). The first part holding a line that is not
 * plain reads on to the end of the file; the parts after it read nothing.
 */
import { InputError } from '../../util/errors.js';
import { splitBlocks } from './lines.js';

/** The lines that start in `[start, end)` of a file; `last` when `end` is the file's size. */
export interface CsvPartRange {
  start: number;
  end: number;
  last: boolean;
}

/** What a part's reader gets: a CSV stream of the file's header and the part's rows, and where they are. */
export interface CsvPartBody {
  /** The file's header line when it comes before the part, then the part's lines (or the rest of the file). */
  body: AsyncIterable<Uint8Array>;
  /** Data rows of the file before the part's first row. */
  rows: number;
  /** What to add to a line number of `body` to get the file's. */
  lines: number;
  /** Whether `body` starts with the header of an earlier part (its output's header is written there). */
  headerBefore: boolean;
}

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** What the lines so far have told: whether the header was read, and whether it ends in CRLF. */
interface LineState {
  header: boolean;
  crlf: boolean;
}

type LineKind = 'blank' | 'header' | 'row' | 'other';

/**
 * Reads `body` (the whole file from byte 0) up to the part's first line and returns its stream, or null when
 * the part has no rows of its own (its lines are blank, or an earlier part reads on through them).
 */
export async function csvPartBody(
  body: AsyncIterable<Uint8Array>,
  range: CsvPartRange,
  delimiter: string,
): Promise<CsvPartBody | null> {
  const d = delimiter.charCodeAt(0);
  const blocks = splitBlocks(body, 1 << 18)[Symbol.asyncIterator]();
  const state: LineState = { header: false, crlf: false };
  let header: Buffer | null = null;
  let rows = 0;
  let pos = 0; // the file offset of `block`
  for (;;) {
    const step = await blocks.next();
    if (step.done) {
      if (!state.header && range.last) throw new InputError('INPUT_EMPTY', 'the file has no header row');
      return null;
    }
    const block = asBuffer(step.value.bytes);
    const simple = isSimple(block);
    let lines = step.value.before;
    for (let s = 0; s < block.length; lines += 1) {
      const at = pos + s;
      if (at >= range.end) return null;
      const nl = block.indexOf(NL, s);
      const e = nl === -1 ? block.length : nl;
      if (at >= range.start && !isBlank(block, s, e, nl !== -1, state)) {
        // The part's first row, or the file's header when no line before it held one.
        const own = header === null;
        const rest = partBytes(restOf(block.subarray(s), blocks), at, range, d, { ...state });
        return {
          body: own ? rest : prepend(header as Buffer, rest),
          rows,
          lines: own ? lines : lines - 1,
          headerBefore: !own,
        };
      }
      const kind = lineKind(block, s, e, nl !== -1, d, state, simple);
      if (kind === 'other') return null; // an earlier part reads on from here
      if (kind === 'header') header = Buffer.from(block.subarray(s, nl === -1 ? e : nl + 1));
      if (kind === 'row') rows += 1;
      s = e + 1;
    }
    pos += block.length;
  }
}

/**
 * The bytes of a part from its first line at file offset `first`: its lines, and on to the end of the file from
 * the first line that is not plain.
 */
async function* partBytes(
  from: AsyncIterable<Buffer>,
  first: number,
  range: CsvPartRange,
  d: number,
  state: LineState,
): AsyncGenerator<Uint8Array> {
  let pos = first;
  let plain = true;
  for await (const chunk of from) {
    if (plain) {
      const simple = isSimple(chunk);
      for (let s = 0; s < chunk.length && plain; ) {
        if (pos + s >= range.end) {
          if (s > 0) yield chunk.subarray(0, s);
          return;
        }
        const nl = chunk.indexOf(NL, s);
        const e = nl === -1 ? chunk.length : nl;
        plain = lineKind(chunk, s, e, nl !== -1, d, state, simple) !== 'other';
        s = e + 1;
      }
      pos += chunk.length;
    }
    yield chunk;
  }
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
    const crlf = ended && b[e - 1] === CR;
    if (!simple && ((e === s + 1 && b[s] === CR) || !plainLine(b, s, e, d, crlf, ended))) return 'other';
    state.header = true;
    state.crlf = crlf;
    return 'header';
  }
  return (simple && !state.crlf) || plainLine(b, s, e, d, state.crlf, ended) ? 'row' : 'other';
}

/** The header line taken from before the part, then the part's bytes. */
async function* prepend(header: Buffer, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield header;
  yield* rest;
}

/** The rest of a block (from a line start) and the blocks after it: whole lines, a chunk each. */
async function* restOf(first: Buffer, blocks: AsyncIterator<{ bytes: Uint8Array }>): AsyncGenerator<Buffer> {
  yield first;
  for (let step = await blocks.next(); !step.done; step = await blocks.next())
    yield asBuffer(step.value.bytes);
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

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
