import { KerasBatchError } from '../util/errors.js';
import type { FailureLimit } from './types.js';

/** Parses `--max-failures`: a count (`10`) or a percentage of the inputs (`5%`). */
export function parseFailureLimit(text: string): FailureLimit {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!match) {
    throw new KerasBatchError(
      'batch',
      'BATCH_BAD_OPTION',
      `--max-failures must be a count (10) or a percentage (5%), got "${text}"`,
    );
  }
  const value = Number(match[1]);
  if (match[2]) {
    if (value > 100)
      throw new KerasBatchError('batch', 'BATCH_BAD_OPTION', `--max-failures ${text} is over 100%`);
    return { kind: 'percent', value };
  }
  if (!Number.isInteger(value))
    throw new KerasBatchError(
      'batch',
      'BATCH_BAD_OPTION',
      `--max-failures count must be a whole number, got "${text}"`,
    );
  return { kind: 'count', value };
}

/** Below this many finished inputs a percentage limit is not judged yet (one early failure is not 100%). */
const PERCENT_MIN_SAMPLE = 100;

/**
 * Whether the failures so far exceed the limit; returns the reason when they do. A percentage is judged
 * against the inputs finished so far once 100 have finished, and against the total at the end.
 */
export function failureLimitExceeded(
  limit: FailureLimit | undefined,
  failed: number,
  finished: number,
  final: boolean,
): string | null {
  if (!limit) return null;
  if (limit.kind === 'count') {
    return failed > limit.value ? `${failed} inputs failed, more than --max-failures ${limit.value}` : null;
  }
  if (!final && finished < PERCENT_MIN_SAMPLE) return null;
  const percent = finished === 0 ? 0 : (100 * failed) / finished;
  return percent > limit.value
    ? `${failed} of ${finished} inputs failed (${percent.toFixed(1)}%), more than --max-failures ${limit.value}%`
    : null;
}
