export { BATCH_DEFAULTS } from './defaults.js';
export { type DryRunSummary, dryRun } from './dry-run.js';
export { failureLimitExceeded, parseFailureLimit } from './failure-limit.js';
export {
  defaultInclude,
  type FormatOptions,
  formatOfKey,
  INPUT_FORMATS,
  type InputFormat,
  JobFormats,
  type OutputFormat,
  RESIZE_MODES,
  type ResizeMode,
  SCALE_MODES,
  type ScaleMode,
} from './formats/index.js';
export { DEFAULT_INCLUDE } from './input-filter.js';
export { newJobId } from './job-id.js';
export { JobTally, type JobTallyOptions } from './job-tally.js';
export { JOB_PREFIX, type LedgerState, ResumeLedger } from './ledger.js';
export { PreflightError, preflightBuckets } from './preflight.js';
export { type FlushPolicy, RecordBatcher } from './record-batcher.js';
export { summarize } from './report.js';
export { runBatchJob } from './run-job.js';
export type {
  BatchJobOptions,
  FailureLimit,
  FileFailure,
  JobCounts,
  JobModel,
  JobReport,
  ProgressEvent,
  Stage,
} from './types.js';
