import type { TensorSpec } from '../../engine/types.js';
import { readJsonLine } from '../../scoring/formats/jsonl-line.js';
import { maybeGunzip, splitLines } from '../../scoring/formats/lines.js';
import { formatRecordError, formatRecordLine } from '../../scoring/formats/record-output.js';
import { errorMessage, KerasBatchError } from '../../util/errors.js';
import type { FormatOptions, StreamFormat, StreamItem } from './types.js';

/**
 * JSON Lines (`.jsonl`, `.ndjson`, gzipped too): one record per line; one output `.jsonl` per input, under the
 * same key without `.gz`, one line per input line in order.
 */
export function jsonlFormat(specs: TensorSpec[], options: FormatOptions): StreamFormat {
  const { idField } = options;
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

  async function* readLines(key: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamItem[]> {
    for await (const lines of splitLines(maybeGunzip(key, body))) {
      const items: StreamItem[] = new Array(lines.length);
      for (let i = 0; i < lines.length; i += 1) {
        const { n, bytes } = lines[i];
        try {
          const { records, id } = readJsonLine(bytes, specs, idField);
          items[i] = { n, line: n, id, records };
        } catch (error) {
          const code = error instanceof KerasBatchError ? error.code : 'INPUT_INVALID';
          items[i] = {
            n,
            line: n,
            error: { code, message: errorMessage(error).replace(/^\[[a-z]+\] /, '') },
          };
        }
      }
      yield items;
    }
  }
}
