import { preflightBuckets } from '../batch/index.js';
import { formatLocation } from '../storage/index.js';
import type { JobPlace, JobRunner } from './job-runner.js';

/** Options of {@link distributedJobRunner} (`serve --redis`). */
export interface DistributedRunnerOptions {
  redisUrl: string;
  /** Inputs per shard. Default 512. */
  shardSize?: number;
  /** Shards of one job out at once. Default 32. */
  maxQueuedShards?: number;
}

const shardPlace = (p: JobPlace) => ({
  connectionId: p.connection.id,
  bucket: p.place.bucket,
  prefix: p.place.prefix,
});

/**
 * Runs jobs over queue workers: this process coordinates (lists, enqueues shards, counts results, writes the
 * report); workers with repository access load the model version and open the connections by id. The shard
 * ids are the repository job id's, so a run after a server restart re-attaches to the shards in Redis. A
 * cancel removes the waiting shards; a server stop leaves them queued (workers go on; the restart re-attaches).
 */
export function distributedJobRunner(options: DistributedRunnerOptions): JobRunner {
  return {
    kind: 'distributed',
    async run(c) {
      // A missing or unwritable bucket fails the job at once, not as one failure per input.
      await preflightBuckets(c.source.driver, c.target.driver, c.runId);
      // BullMQ and ioredis load only for a server started with --redis.
      const { runDistributedJob } = await import('../queue/index.js');
      const cancel = new AbortController();
      const detach = new AbortController();
      const onAbort = () => (c.signal.reason === 'shutdown' ? detach : cancel).abort();
      if (c.signal.aborted) onAbort();
      else c.signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await runDistributedJob({
          redisUrl: options.redisUrl,
          jobId: c.jobId,
          reportJobId: c.runId,
          model: { versionId: c.version.id, sha256: c.version.sha256, name: c.version.file_name },
          source: c.source.driver,
          target: c.target.driver,
          sourceText: formatLocation(c.source.location),
          targetText: formatLocation(c.target.location),
          places: { source: shardPlace(c.source), target: shardPlace(c.target) },
          shardSize: options.shardSize,
          maxQueuedShards: options.maxQueuedShards,
          batchSize: c.batchSize,
          concurrency: c.concurrency,
          maxFailures: c.maxFailures,
          ...(c.include ? { include: c.include, onlyInclude: true } : {}),
          formats: c.formats,
          resume: c.resume,
          signal: cancel.signal,
          detach: detach.signal,
          onProgress: c.onProgress,
          onFailure: c.onFailure,
        });
      } finally {
        c.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
