import type { TensorSpec } from '../../engine/types.js';
import { type LinePage, pageRecords, parseLineBlock } from '../../scoring/formats/jsonl-page.js';
import { type LineBlock, maybeGunzip, splitBlocks } from '../../scoring/formats/lines.js';
import { formatRecordError, formatRecordLine } from '../../scoring/formats/record-output.js';
import type { FormatOptions, StreamFormat, StreamItem } from './types.js';

/** Parses a block of JSON Lines for the model, here or on a file thread. */
export type LineParser = (block: LineBlock, idField: string | undefined) => Promise<LinePage>;

/** Blocks of a file being parsed at once (on several threads when there are): reading runs ahead of parsing. */
const AHEAD = 4;

/**
 * JSON Lines (`.jsonl`, `.ndjson`, gzipped too): one record per line; one output `.jsonl` per input, under the
 * same key without `.gz`, one line per input line in order. The file is cut into blocks of whole lines that
 * `parse` reads (on the file threads when the job has them), a few at once, taken back in order.
 */
export function jsonlFormat(specs: TensorSpec[], options: FormatOptions, parse?: LineParser): StreamFormat {
  const { idField } = options;
  const parseBlock: LineParser =
    parse ?? (async (block) => parseLineBlock(block.bytes, block.before, specs, idField));
  return {
    outputKey: (key) => key.replace(/\.gz$/i, ''),
    contentType: 'application/x-ndjson',
    unit: 'line',
    open: (key) => ({
      items: (body) => readLines(key, body),
      scored: (item, outputs, row) => formatRecordLine(item, outputs, row),
      failed: (item, code, message) => formatRecordError(item, code, message),
    }),
  };

  function itemsOf(page: LinePage): StreamItem[] {
    const records = pageRecords(page);
    return page.lines.map((line, i) =>
      line.error
        ? { n: line.n, line: line.n, error: line.error }
        : { n: line.n, line: line.n, id: line.id, records: records[i] },
    );
  }

  async function* readLines(key: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamItem[]> {
    const ahead: Promise<LinePage>[] = [];
    const linesBefore = options.part?.lines ?? 0; // a part of a split file: numbered as in the whole file
    for await (const block of splitBlocks(maybeGunzip(key, body))) {
      const page = parseBlock({ ...block, before: block.before + linesBefore }, idField);
      page.catch(() => undefined); // awaited in order below; an earlier failure must not leave it unhandled
      ahead.push(page);
      if (ahead.length >= AHEAD) yield itemsOf(await (ahead.shift() as Promise<LinePage>));
    }
    while (ahead.length > 0) yield itemsOf(await (ahead.shift() as Promise<LinePage>));
  }
}
