import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { QUEUE_DEFAULTS } from '../../queue/defaults.js';
import { byteSize, endpointPatterns, localRoots, port, positiveInteger, repeatable } from '../arg-parsers.js';
import { createLogger } from '../logger.js';

interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  artifacts?: string;
  maxUpload: number;
  maxJobs: number;
  maxModels?: number;
  modelMemory?: number;
  publicDocs?: boolean;
  localRoot?: string[];
  s3EndpointAllow?: string[];
  logLevel: string;
  redis?: string;
  requestTimeout: number;
  headersTimeout: number;
  shardSize: number;
  maxQueuedShards: number;
  shutdownTimeout: number;
  tlsCert?: string;
  tlsKey?: string;
}

/** The certificate and key of `--tls-cert`/`--tls-key` (both or neither), read before anything starts. */
function readTls(cert?: string, key?: string): { cert: Buffer; key: Buffer } | undefined {
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new Error('--tls-cert and --tls-key go together: give both files');
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`${what} ${file} cannot be read: ${(error as Error).message}`);
    }
  };
  return { cert: read(cert, '--tls-cert'), key: read(key, '--tls-key') };
}

/** Exit code of a server stopped by a second signal before it had handed its jobs back. */
const EXIT_INTERRUPTED = 130;
/** Exit code of a server that did not stop within `--shutdown-timeout` (e.g. the database or Redis is gone). */
const EXIT_SHUTDOWN_TIMEOUT = 3;

/** `keras-batch serve`: the REST API over the embedded data dir (or PostgreSQL with DATABASE_URL). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the REST API (WML v3-compatible and /api/v1); batch jobs run in this process, or with --redis on keras-batch workers',
    )
    .option('-p, --port <port>', 'port', port, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'data dir: SQLite database, secret key, model files', '.keras-batch')
    .option(
      '--artifacts <location>',
      'model files in a shared folder or s3://bucket/prefix (with DATABASE_URL)',
    )
    .option('--max-upload <size>', 'largest model upload (default 512MiB)', byteSize, 512 * 1024 ** 2)
    .option('--max-jobs <n>', 'batch jobs run at once', positiveInteger, 1)
    .option(
      '--max-models <n>',
      'compiled models kept in memory (least recently used evicted; default 8)',
      positiveInteger,
    )
    .option(
      '--model-memory <size>',
      'weights of compiled models kept in memory, all together (default 2GiB)',
      byteSize,
    )
    .option(
      '--redis <url>',
      'run batch jobs on `keras-batch worker` processes through this Redis (they read models and connections from this repository)',
    )
    .option('--shard-size <n>', 'with --redis: inputs per shard', positiveInteger, QUEUE_DEFAULTS.shardSize)
    .option(
      '--max-queued-shards <n>',
      "with --redis: a job's shards out at once (listing waits)",
      positiveInteger,
      QUEUE_DEFAULTS.maxQueuedShards,
    )
    .option(
      '--local-root <dir>',
      'a server folder local connections may use (repeatable; also KERAS_BATCH_LOCAL_ROOTS, ":"-separated); none by default: no local folders over HTTP',
      repeatable,
    )
    .option(
      '--s3-endpoint-allow <pattern>',
      'S3 endpoints connections may use, a glob on scheme://host:port, e.g. "http://127.0.0.1:*" (repeatable; also KERAS_BATCH_S3_ENDPOINT_ALLOW, comma-separated); default: any https endpoint outside loopback, link-local and private ranges',
      repeatable,
    )
    .option(
      '--shutdown-timeout <s>',
      'after SIGTERM, seconds to finish the requests in flight, hand the running jobs back and close the database (also with it or Redis unreachable); then exit 3 naming what was left',
      positiveInteger,
      30,
    )
    .option(
      '--request-timeout <seconds>',
      'most seconds to receive a whole request, body included (a slowly dribbled upload is cut)',
      positiveInteger,
      300,
    )
    .option('--headers-timeout <seconds>', "most seconds to receive a request's headers", positiveInteger, 30)
    .option('--public-docs', 'serve /docs and /openapi.json without an API key')
    .option('--tls-cert <file>', 'serve https with this PEM certificate (or chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--log-level <level>', 'log level (error, warn, info, debug)', 'info')
    .action(serve);
}

/** Opens the repository, serves until a signal, then stops within `--shutdown-timeout`. */
async function serve(o: ServeOptions): Promise<void> {
  const logger = createLogger(o.logLevel);
  const tls = readTls(o.tlsCert, o.tlsKey);
  // Server-only modules (Fastify, the database drivers) load only when serving.
  const [{ buildApp }, { openService }] = await Promise.all([
    import('../../api/index.js'),
    import('../../service/index.js'),
  ]);
  const queue = o.redis
    ? {
        redisUrl: o.redis,
        shardSize: o.shardSize,
        maxQueuedShards: o.maxQueuedShards,
      }
    : undefined;
  if (queue) (await import('../../queue/index.js')).redisOptions(queue.redisUrl); // a bad URL fails now
  const service = await openService({
    dataDir: o.dataDir,
    artifacts: o.artifacts,
    logger,
    maxConcurrentJobs: o.maxJobs,
    modelCache: { maxModels: o.maxModels, maxBytes: o.modelMemory },
    queue,
    localRoots: localRoots(o.localRoot),
    s3EndpointAllow: endpointPatterns(o.s3EndpointAllow),
  });
  if ((await service.keys.count()) === 0) {
    const { key } = await service.keys.create('first start', 'admin');
    process.stdout.write(`API key (shown once; create more with \`keras-batch apikey create\`): ${key}\n`);
  }
  const app = await buildApp({
    service,
    logger,
    maxUploadBytes: o.maxUpload,
    uploadDir: join(o.dataDir, 'uploads'),
    publicDocs: o.publicDocs,
    tls,
    requestTimeoutMs: o.requestTimeout * 1000,
    headersTimeoutMs: o.headersTimeout * 1000,
  });
  const address = await app.listen({ port: o.port, host: o.host });
  process.stdout.write(
    `keras-batch serving on ${address} (${service.database.dialect}: ${service.database.where})\n`,
  );
  if (queue) {
    const { describeRedis } = await import('../../queue/index.js');
    logger.info(
      { redis: describeRedis(queue.redisUrl), database: service.database.where },
      'batch jobs run on keras-batch workers: start them with `keras-batch worker --redis URL` and this ' +
        'repository (--data-dir here, or DATABASE_URL and KERAS_BATCH_SECRET_KEY; see docs/scaling.md)',
    );
  }
  const resumed = await service.start();
  if (resumed.length) logger.info({ jobs: resumed }, 'queued jobs left by the last run');
  // The jobs running at the signal stay `running` in the database (handed back, or cut off by the deadline):
  // those are what a stop leaves, whether or not their runners have let go by then.
  let left: string[] = [];
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      left = service.jobs.runningIds();
      logger.info(
        { signal, jobs: left },
        'stopping: no new requests; running jobs are handed back and resume on the next start (signal again to stop now)',
      );
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await stopWithin(
    o.shutdownTimeout,
    logger,
    [
      ['the requests in flight', () => app.close()],
      ['handing back the running jobs and closing the database', () => service.close()],
    ],
    () => [...new Set([...left, ...service.jobs.runningIds()])],
  );
  logger.info('stopped');
}

/**
 * Runs the shutdown `steps` in order within `seconds`: past that, or on a second signal, the process exits
 * non-zero naming the step it was in and the jobs still running (left `running` in the database, so the next
 * start resumes them; on `--redis` their shards stay queued for the workers).
 */
async function stopWithin(
  seconds: number,
  logger: ReturnType<typeof createLogger>,
  steps: [string, () => Promise<void>][],
  running: () => string[],
): Promise<void> {
  let step = steps[0]?.[0] ?? '';
  const now = () => {
    logger.warn({ step, jobsLeftRunning: running() }, 'stopping now');
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGTERM', now);
  process.once('SIGINT', now);
  const deadline = setTimeout(() => {
    logger.error(
      { step, jobsLeftRunning: running() },
      `not stopped within --shutdown-timeout ${seconds}s (while ${step}; is the database or Redis reachable?): exiting; the jobs left running resume on the next start`,
    );
    process.exit(EXIT_SHUTDOWN_TIMEOUT);
  }, seconds * 1000);
  try {
    for (const [name, run] of steps) {
      step = name;
      await run();
    }
  } finally {
    clearTimeout(deadline);
    process.removeListener('SIGTERM', now);
    process.removeListener('SIGINT', now);
  }
}
