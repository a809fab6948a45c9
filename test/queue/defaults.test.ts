import { describe, expect, it } from 'vitest';
import { QUEUE_DEFAULTS, queueOptions, WORKER_DEFAULTS, workerOptions } from '../../src/queue/defaults.js';
import { isJobFailure, ShardJobFailed } from '../../src/queue/types.js';

describe('queue settings and failures', () => {
  it('merges the defaults once and refuses bad values by name', () => {
    expect(queueOptions({})).toEqual(QUEUE_DEFAULTS);
    expect(queueOptions({ shardSize: 40, attempts: undefined })).toEqual({
      ...QUEUE_DEFAULTS,
      shardSize: 40,
    });
    expect(() => queueOptions({ maxQueuedShards: 0 })).toThrow(
      /queue maxQueuedShards must be a positive integer/,
    );
    expect(() => workerOptions({ lockDurationMs: 1.5 })).toThrow(/worker lockDurationMs/);
    expect(workerOptions({ models: 4 })).toEqual({ ...WORKER_DEFAULTS, models: 4 });
  });

  it('tells a job-failing shard error from BullMQ unrecoverable failures by its class in the stored trace', () => {
    const error = new ShardJobFailed('the model m cannot be loaded: bad file');
    expect(error.message).toBe('the model m cannot be loaded: bad file'); // no prefix in what users read
    expect(isJobFailure([error.stack as string])).toBe(true);
    expect(isJobFailure(['UnrecoverableError: job stalled more than allowable limit\n    at ...'])).toBe(
      false,
    );
    expect(isJobFailure([])).toBe(false);
    expect(isJobFailure(null)).toBe(false);
  });
});
