import type { Command } from 'commander';
import { KerasBatchError } from '../../util/errors.js';
import { readConnection } from '../buckets.js';
import { createLogger } from '../logger.js';

interface WorkerOptions {
  redis: string;
  concurrency: string;
  threads?: string;
  models: string;
  lockDuration: string;
  connection?: string;
  logLevel: string;
}

/** Exit code of a worker stopped by a second signal before its shards were finished. */
const EXIT_INTERRUPTED = 130;

const positiveInt = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new KerasBatchError('cli', 'CLI_BAD_OPTION', `${name} must be a whole number >= 1, got "${text}"`);
  return n;
};

/**
 * `keras-batch worker --redis URL`: scores shards of distributed batch jobs (`score --redis`) until SIGTERM or
 * SIGINT, then finishes the shards in hand and exits. BullMQ and ioredis load only for this command.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('score shards of distributed batch jobs (score --redis) taken from Redis, until SIGTERM')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'shards scored at once by this process', '1')
    .option('--threads <n>', 'inference threads (default: all cores)')
    .option('--models <n>', 'models kept loaded (least recently used evicted)', '2')
    .option(
      '--lock-duration <ms>',
      "a shard's lock: a crashed worker's shard is retried after about this",
      '30000',
    )
    .option('--connection <file>', 'JSON file with WML-style COS keys for S3 sources and targets')
    .option('--log-level <level>', 'pino log level on stderr', 'info')
    .action(async (options: WorkerOptions) => {
      const logger = createLogger(options.logLevel);
      const connection = options.connection ? await readConnection(options.connection) : undefined;
      const { describeRedis, startShardWorker } = await import('../../queue/index.js');
      const worker = await startShardWorker({
        redisUrl: options.redis,
        concurrency: positiveInt('--concurrency', options.concurrency),
        threads: options.threads ? positiveInt('--threads', options.threads) : undefined,
        models: positiveInt('--models', options.models),
        lockDurationMs: positiveInt('--lock-duration', options.lockDuration),
        credentials: connection
          ? { accessKeyId: connection.access_key, secretAccessKey: connection.secret_key }
          : undefined,
        log: (level, message, fields) => logger[level](fields ?? {}, message),
      });
      logger.info({ worker: worker.id, redis: describeRedis(options.redis) }, 'worker ready');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'finishing the shards in hand, then stopping (signal again to stop now)');
          resolve();
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      // A second signal stops at once: the shards in hand go back to the queue when their locks expire.
      const now = () => {
        logger.warn('stopping now');
        process.exit(EXIT_INTERRUPTED);
      };
      process.once('SIGTERM', now);
      process.once('SIGINT', now);
      await worker.close();
      logger.info({ worker: worker.id }, 'worker stopped');
    });
}
