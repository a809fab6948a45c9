import picomatch from 'picomatch';
import type { ObjectEntry } from '../storage/index.js';
import { JOB_PREFIX } from './ledger.js';

export type Classification =
  | { kind: 'input' }
  | { kind: 'ignore' }
  | { kind: 'fail'; code: string; reason: string };

export const DEFAULT_INCLUDE = ['**/*.json'];

/**
 * Decides what a listed object is: an input to score, our own bookkeeping (ignored), or something the job
 * reports as failed without reading it (a directory marker, a file that is not an input, one over the limit).
 */
export function createInputFilter(
  include: string[] = DEFAULT_INCLUDE,
  maxFileBytes: number,
  /** Whether an input is read whole (the size limit applies); streamed record files have none. */
  readWhole: (key: string) => boolean = () => true,
  /** What a key outside `include` is: a failure (default), or ignored (a job that reads one named file). */
  others: 'fail' | 'ignore' = 'fail',
): (entry: ObjectEntry) => Classification {
  const isInput = picomatch(include, { dot: true, nocase: true });
  return (entry) => {
    if (entry.key.startsWith(JOB_PREFIX)) return { kind: 'ignore' };
    if (entry.key.endsWith('/')) {
      return {
        kind: 'fail',
        code: 'INPUT_DIRECTORY_MARKER',
        reason: 'a directory marker, not an input file',
      };
    }
    if (!isInput(entry.key)) {
      if (others === 'ignore') return { kind: 'ignore' };
      return {
        kind: 'fail',
        code: 'INPUT_NOT_AN_INPUT',
        reason: `not an input file (inputs match ${include.join(', ')})`,
      };
    }
    if (entry.size > maxFileBytes && readWhole(entry.key)) {
      return {
        kind: 'fail',
        code: 'INPUT_TOO_LARGE',
        reason: `over the size limit: ${entry.size} bytes, the limit is ${maxFileBytes} (--max-file-size)`,
      };
    }
    return { kind: 'input' };
  };
}
