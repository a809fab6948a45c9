import type { BucketDriver } from '../storage/index.js';
import { errorCode, errorMessage, KerasBatchError } from '../util/errors.js';
import { JOB_PREFIX } from './ledger.js';

/** A job's source or target that cannot be used: one error naming it and the problem, not one per input. */
export class PreflightError extends KerasBatchError {
  constructor(side: 'source' | 'target', where: string, problem: string, cause: unknown) {
    super(
      'batch',
      errorCode(cause),
      `the ${side} ${where} ${problem}: ${errorMessage(cause).replace(/^\[[a-z]+\] /, '')}`,
    );
  }
}

/**
 * Reaches both sides of a job before any input starts: lists the source (one entry: a missing or unreadable
 * bucket or folder), lists the target's `_keras-batch/` and writes then deletes a small object there (a target
 * that cannot be written; skipped when `jobId` is null). Throws a {@link PreflightError}: the job ends at once.
 * A listing, not a HEAD: S3 answers HEAD on a missing bucket with a bare 404, a listing with NoSuchBucket.
 */
export async function preflightBuckets(
  source: BucketDriver,
  target: BucketDriver,
  jobId: string | null,
): Promise<void> {
  const listOne = async (store: BucketDriver, prefix?: string) => {
    const pages = store.list(prefix, { pageSize: 1 })[Symbol.asyncIterator]();
    await pages.next();
    await pages.return?.();
  };
  try {
    await listOne(source);
  } catch (error) {
    throw new PreflightError('source', source.describe(), 'cannot be listed', error);
  }
  try {
    await listOne(target, JOB_PREFIX);
  } catch (error) {
    throw new PreflightError('target', target.describe(), 'cannot be listed', error);
  }
  if (jobId === null) return; // lists only (a dry run writes nothing)
  const probe = `${JOB_PREFIX}${jobId}.write-check`;
  try {
    await target.put(probe, 'ok', { contentType: 'text/plain' });
  } catch (error) {
    throw new PreflightError('target', target.describe(), 'cannot be written', error);
  }
  await target.delete(probe).catch(() => undefined);
}
