import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../util/errors.js';

/** One line of a text stream: its bytes (without the line break) and its 1-based number. */
export interface TextLine {
  n: number;
  bytes: Uint8Array;
}

/** Longest line accepted (a record); longer ones fail the file, since nothing after them can be told apart. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Ungzips a stream when its key ends in `.gz`. */
export function maybeGunzip(key: string, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (!/\.gz$/i.test(key)) return body;
  const gunzip = createGunzip();
  const out = Readable.from(body).pipe(gunzip);
  return (async function* () {
    try {
      for await (const chunk of out) yield chunk as Buffer;
    } catch (error) {
      throw new InputError('INPUT_NOT_GZIP', `not a valid gzip stream: ${(error as Error).message}`);
    }
  })();
}

/**
 * Splits a byte stream into lines (LF or CRLF), holding only the current chunk and a partial line. Blank lines
 * are skipped (their numbers still count); a last line without a line break is a line.
 */
export async function* splitLines(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<TextLine[]> {
  let carry: Buffer | null = null;
  let n = 0;
  for await (const raw of body) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (carry) {
      chunk = Buffer.concat([carry, chunk]);
      carry = null;
    }
    const lines: TextLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      n += 1;
      const line = trimLine(chunk.subarray(start, nl));
      if (line) lines.push({ n, bytes: line });
      start = nl + 1;
    }
    if (start < chunk.length) {
      // The partial line keeps its own copy: the chunk it came from can go.
      carry = Buffer.from(chunk.subarray(start));
      if (carry.length > maxLineBytes) {
        throw new InputError('INPUT_LINE_TOO_LONG', `line ${n + 1} is longer than ${maxLineBytes} bytes`);
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (carry) {
    const line = trimLine(carry);
    if (line) yield [{ n: n + 1, bytes: line }];
  }
}

/** A run of whole lines of a text stream, in its own buffer (it can be handed to another thread). */
export interface LineBlock {
  bytes: Uint8Array;
  /** Lines before the block: its first line is line `before + 1`. */
  before: number;
}

/**
 * Cuts a byte stream into blocks of whole lines of at least `minBytes` (but the last), each in a buffer of its
 * own, numbering lines as {@link splitLines} does. Holds at most one block and a partial line.
 */
export async function* splitBlocks(
  body: AsyncIterable<Uint8Array>,
  minBytes = 1 << 20,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<LineBlock> {
  let parts: Uint8Array[] = [];
  let size = 0;
  /** Bytes of `parts` up to the last line break, and the line breaks among them. */
  let whole = 0;
  let counted = 0;
  let before = 0;
  const take = (length: number): Uint8Array => {
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      const n = Math.min(part.length, length - at);
      bytes.set(n === part.length ? part : part.subarray(0, n), at);
      at += n;
      if (at === length) break;
    }
    return bytes;
  };
  for await (const chunk of body) {
    let last = -1;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) {
      counted += 1;
      last = nl;
    }
    parts.push(chunk);
    size += chunk.length;
    if (last !== -1) whole = size - (chunk.length - last - 1);
    if (size - whole > maxLineBytes) {
      throw new InputError(
        'INPUT_LINE_TOO_LONG',
        `line ${before + counted + 1} is longer than ${maxLineBytes} bytes`,
      );
    }
    if (whole >= minBytes) {
      const block = { bytes: take(whole), before };
      const rest = chunk.subarray(last + 1);
      parts = rest.length > 0 ? [rest] : [];
      size = rest.length;
      whole = 0;
      before += counted;
      counted = 0;
      yield block;
    }
  }
  if (size > 0) yield { bytes: take(size), before };
}

/** The non-blank lines of a block of text (line numbers from `before + 1`), as {@link splitLines} gives them. */
export function blockLines(bytes: Uint8Array, before = 0): TextLine[] {
  const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: TextLine[] = [];
  let n = before;
  let start = 0;
  while (start < chunk.length) {
    let nl = chunk.indexOf(10, start);
    if (nl === -1) nl = chunk.length;
    n += 1;
    const line = trimLine(chunk.subarray(start, nl));
    if (line) lines.push({ n, bytes: line });
    start = nl + 1;
  }
  return lines;
}

/** The line without a trailing CR, or null when it is blank. */
function trimLine(line: Buffer): Buffer | null {
  let end = line.length;
  if (end > 0 && line[end - 1] === 13) end -= 1;
  for (let i = 0; i < end; i += 1) {
    const c = line[i];
    if (c !== 32 && c !== 9) return line.subarray(0, end);
  }
  return null;
}

/** A place to cut a file of lines: a line's byte offset and the lines before it. */
export interface LineSplitPoint {
  at: number;
  lines: number;
}

/**
 * Reads a file of lines once (`body`, from byte 0) and finds, for each of the ascending offsets `wanted`, the
 * first line that starts after a line break at or after it - 1 (none twice; one at the file's very end is
 * no line: the caller drops it). Stops reading once every offset has its point.
 */
export async function lineSplitPoints(
  body: AsyncIterable<Uint8Array>,
  wanted: readonly number[],
): Promise<LineSplitPoint[]> {
  const points: LineSplitPoint[] = [];
  let next = 0;
  let pos = 0; // the file offset of `chunk`
  let lines = 0; // line breaks before `pos + counted`
  for await (const raw of body) {
    if (next >= wanted.length) break;
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let counted = 0;
    while (next < wanted.length) {
      // A line starts after the first line break at or after wanted - 1.
      const look = Math.max(0, wanted[next] - 1 - pos);
      const nl = look < chunk.length ? chunk.indexOf(10, look) : -1;
      if (nl === -1) break;
      lines += countBreaks(chunk, counted, nl + 1);
      counted = nl + 1;
      const at = pos + nl + 1;
      points.push({ at, lines });
      while (next < wanted.length && wanted[next] <= at) next += 1;
    }
    lines += countBreaks(chunk, counted, chunk.length);
    pos += chunk.length;
  }
  return points;
}

/** Line breaks in `[from, to)` of `chunk`. */
function countBreaks(chunk: Buffer, from: number, to: number): number {
  let n = 0;
  for (let at = chunk.indexOf(10, from); at !== -1 && at < to; at = chunk.indexOf(10, at + 1)) n += 1;
  return n;
}
