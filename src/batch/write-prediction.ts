import type { Tensor } from '../engine/types.js';
import { formatPrediction, predictionChunks, recordValues } from '../scoring/index.js';
import { LimitError, type Limits } from '../util/limits.js';
import type { FileStages } from './file-stages.js';
import type { Stage } from './types.js';

/** Outputs estimated larger than this are streamed to the target piece by piece instead of built as one string. */
export const STREAM_OUTPUT_CHARS = 16 * 2 ** 20;

/**
 * Formats and writes the output of one input file; resolves with the milliseconds spent formatting and writing.
 * A small output is built as one string and written whole (on a file-I/O thread when there are some); one
 * estimated over {@link STREAM_OUTPUT_CHARS} (its first row × its records) is streamed to the target as it is
 * formatted, so 10^6 records never make one giant string; it is whole or absent all the same (the target's
 * streamed put: a temp file renamed, an S3 multipart upload completed or aborted), byte for byte the same text,
 * and the `output-bytes-per-file` limit is checked as it grows (`at.stage` says `format` when it is refused).
 */
export async function writePrediction(
  stages: FileStages,
  key: string,
  outputs: Tensor[],
  count: number,
  limits: Pick<Limits, 'outputBytesPerFile'>,
  at: { stage: Stage },
): Promise<{ format: number; write: number }> {
  const mark = performance.now();
  if (count <= 1 || recordValues(outputs, 0).length * count <= STREAM_OUTPUT_CHARS) {
    const text = formatPrediction(key, outputs, 0, count, limits.outputBytesPerFile);
    const format = performance.now() - mark;
    at.stage = 'write';
    return { format, write: await stages.write(key, text) };
  }
  let format = 0;
  at.stage = 'write';
  async function* pieces(): AsyncGenerator<string> {
    const chunks = predictionChunks(key, outputs, 0, count, { maxBytes: limits.outputBytesPerFile });
    for (;;) {
      const t = performance.now();
      let next: IteratorResult<string>;
      try {
        next = chunks.next();
      } catch (error) {
        if (error instanceof LimitError) at.stage = 'format';
        throw error;
      } finally {
        format += performance.now() - t;
      }
      if (next.done) return;
      yield next.value;
    }
  }
  const total = await stages.writeStream(key, pieces());
  return { format, write: total - format };
}
