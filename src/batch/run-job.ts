import { dropSpareFloats } from '../util/float-buffers.js';
import { ResumeLedger } from './ledger.js';
import { preflightBuckets } from './preflight.js';
import { BatchRun } from './runner.js';
import type { BatchJobOptions, JobReport } from './types.js';

/**
 * Runs one batch job: lists the source, and for every input gets, parses, validates, scores (in micro-batches
 * across files), formats and writes the seed's output under the same key in the target. Every input ends as
 * scored, failed (with stage and reason) or skipped (resume); a failed input never stops the job unless
 * `maxFailures` says so. Memory stays bounded: at most ~2 batches of files are in flight. A source or target
 * that cannot be reached (or the target written) fails the job at once, before any input: a `PreflightError`.
 */
export async function runBatchJob(options: BatchJobOptions): Promise<JobReport> {
  try {
    return await runJob(options);
  } finally {
    dropSpareFloats(); // a finished job holds no spare buffers (a job running beside it just allocates again)
  }
}

async function runJob(options: BatchJobOptions): Promise<JobReport> {
  const run = new BatchRun(options);
  if (options.preflight ?? true) {
    try {
      await preflightBuckets(options.source, options.target, run.jobId);
    } catch (error) {
      await run.stages.close();
      throw error;
    }
  }
  if (!options.resume && options.crashScope === undefined) return run.run(null);
  // Resuming: every earlier run's ledger; else only the runs in the crash scope (a shard's earlier attempts).
  const ledgerScope = options.resume ? '' : (options.crashScope ?? '');
  const state = await ResumeLedger.loadState(options.target, options.model.sha256, ledgerScope);
  await run.guard.load(options.crashScope ?? '', state);
  return run.run(state.done);
}
