import type { Command } from 'commander';
import { WORKER_DEFAULTS } from '../../queue/defaults.js';
import { KerasBatchError } from '../../util/errors.js';
import { byteSize, localRoots, nonNegativeInteger, positiveInteger, repeatable } from '../arg-parsers.js';
import { readConnection } from '../buckets.js';
import { createLogger } from '../logger.js';

interface WorkerOptions {
  redis: string;
  concurrency: number;
  threads?: number;
  ioThreads?: number;
  models: number;
  modelMemory?: number;
  lockDuration: number;
  connection?: string;
  dataDir?: string;
  artifacts?: string;
  server?: string;
  localRoot?: string[];
  shutdownTimeout: number;
  logLevel: string;
}

/** Exit code of a worker stopped by a second signal before its shards were finished. */
const EXIT_INTERRUPTED = 130;
/** Exit code of a worker whose shards did not finish within `--shutdown-timeout` (e.g. Redis went away). */
const EXIT_SHUTDOWN_TIMEOUT = 3;

/** The repository a worker reads (for `serve --redis` jobs), when it was given one: as `serve` finds it. */
async function openRepositoryOption(o: WorkerOptions) {
  // (The repository module is not imported for this test: it loads the database drivers.)
  const postgres = /^postgres(ql)?:\/\//i.test(process.env.DATABASE_URL ?? '');
  if (!o.dataDir && !postgres) {
    if (o.server || o.artifacts)
      throw new KerasBatchError(
        'cli',
        'CLI_BAD_OPTION',
        '--server and --artifacts need the repository: --data-dir (SQLite) or DATABASE_URL (PostgreSQL)',
      );
    return undefined;
  }
  let server: { url: string; apiKey: string } | undefined;
  if (o.server) {
    // From the environment only: a long-running process's command line is visible to every user.
    const apiKey = process.env.KERAS_BATCH_API_KEY;
    if (!apiKey)
      throw new KerasBatchError('cli', 'CLI_NO_API_KEY', '--server needs an API key: KERAS_BATCH_API_KEY');
    server = { url: o.server, apiKey };
  }
  // Database drivers load only for a worker with a repository.
  const { openWorkerRepository } = await import('../../service/index.js');
  const roots = localRoots(o.localRoot);
  return openWorkerRepository({
    dataDir: o.dataDir,
    artifacts: o.artifacts,
    server,
    localRoots: roots.length ? roots : undefined,
  });
}

/**
 * `keras-batch worker --redis URL`: scores shards of distributed batch jobs (`score --redis`, `serve --redis`)
 * until SIGTERM or SIGINT, then finishes the shards in hand and exits. BullMQ and ioredis load only for this
 * command.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'score shards of distributed batch jobs (score --redis, serve --redis) taken from Redis, until SIGTERM',
    )
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option(
      '--concurrency <n>',
      'shards scored at once by this process',
      positiveInteger,
      WORKER_DEFAULTS.concurrency,
    )
    .option('--threads <n>', 'inference threads (default: all cores)', positiveInteger)
    .option(
      '--io-threads <n>',
      'threads reading and writing local folders, 0 = none (default: cores, at most 4)',
      nonNegativeInteger,
    )
    .option(
      '--models <n>',
      'models kept loaded (least recently used evicted)',
      positiveInteger,
      WORKER_DEFAULTS.models,
    )
    .option(
      '--model-memory <size>',
      'weights of the models kept loaded, all together (default 2GiB)',
      byteSize,
    )
    .option(
      '--lock-duration <ms>',
      "a shard's lock: a crashed worker's shard is retried after about this",
      positiveInteger,
      WORKER_DEFAULTS.lockDurationMs,
    )
    .option(
      '--connection <file>',
      'JSON file with WML-style COS keys for S3 sources and targets (score --redis)',
    )
    .option(
      '--data-dir <dir>',
      "for serve --redis jobs and score --redis with a stored model: the repository's data dir (SQLite database, secret.key, artifacts); with PostgreSQL set DATABASE_URL and KERAS_BATCH_SECRET_KEY instead",
    )
    .option('--artifacts <location>', "the server's --artifacts (a shared folder or s3://bucket/prefix)")
    .option(
      '--server <url>',
      'download model files from this server (API key in KERAS_BATCH_API_KEY) instead of the artifact store',
    )
    .option(
      '--local-root <dir>',
      'confine stored local connections to these folders (repeatable; also KERAS_BATCH_LOCAL_ROOTS); default: the places the server accepted',
      repeatable,
    )
    .option(
      '--shutdown-timeout <s>',
      'after SIGTERM, seconds to finish the shards in hand (also with Redis gone); then exit 3 naming them',
      positiveInteger,
      30,
    )
    .option('--log-level <level>', 'pino log level on stderr', 'info')
    .action(async (options: WorkerOptions) => {
      const logger = createLogger(options.logLevel);
      const connection = options.connection ? await readConnection(options.connection) : undefined;
      const repository = await openRepositoryOption(options);
      const { describeRedis, startShardWorker } = await import('../../queue/index.js');
      const worker = await startShardWorker({
        redisUrl: options.redis,
        concurrency: options.concurrency,
        threads: options.threads,
        ioThreads: options.ioThreads,
        models: options.models,
        modelBytes: options.modelMemory,
        lockDurationMs: options.lockDuration,
        credentials: connection
          ? { accessKeyId: connection.access_key, secretAccessKey: connection.secret_key }
          : undefined,
        repository,
        log: (level, message, fields) => logger[level](fields ?? {}, message),
      }).catch(async (error) => {
        await repository?.close();
        throw error;
      });
      logger.info(
        { worker: worker.id, redis: describeRedis(options.redis), repository: repository?.where ?? null },
        'worker ready',
      );
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
      // Closing waits for Redis; without it, BullMQ would wait forever: the shards go back when their locks expire.
      const deadline = setTimeout(() => {
        logger.error(
          { worker: worker.id, inHand: worker.inHand() },
          `not stopped within --shutdown-timeout ${options.shutdownTimeout}s (is Redis reachable?): exiting; the shards in hand are retried when their locks expire`,
        );
        process.exit(EXIT_SHUTDOWN_TIMEOUT);
      }, options.shutdownTimeout * 1000);
      try {
        await worker.close();
      } finally {
        clearTimeout(deadline);
      }
      logger.info({ worker: worker.id }, 'worker stopped');
    });
}
