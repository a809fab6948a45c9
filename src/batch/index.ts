export { failureLimitExceeded, parseFailureLimit } from './failure-limit.js';
export {
  defaultInclude,
  type FormatOptions,
  formatOfKey,
  INPUT_FORMATS,
  type InputFormat,
  JobFormats,
  type OutputFormat,
} from './formats/index.js';
export { DEFAULT_INCLUDE } from './input-filter.js';
export { newJobId } from './job-id.js';
export { JobTally, type JobTallyOptions } from './job-tally.js';
export { JOB_PREFIX, ResumeLedger } from './ledger.js';
export { type FlushPolicy, RecordBatcher } from './record-batcher.js';
export { summarize } from './report.js';
export { BATCH_DEFAULTS, runBatchJob } from './runner.js';
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
