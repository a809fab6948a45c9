import { type Command, Option } from 'commander';
import {
  type FailureLimit,
  type FormatOptions,
  INPUT_FORMATS,
  type InputFormat,
  type OutputFormat,
  parseFailureLimit,
  preflightBuckets,
  runBatchJob,
  summarize,
} from '../../batch/index.js';
import { QUEUE_DEFAULTS } from '../../queue/defaults.js';
import { formatLocation, locationsOverlap } from '../../storage/index.js';
import { KerasBatchError } from '../../util/errors.js';
import { byteSize, nonNegativeInteger, positiveInteger } from '../arg-parsers.js';
import { openCliBucket } from '../buckets.js';
import { createLogger } from '../logger.js';
import { createProgressBar } from '../progress-bar.js';
import { describeDryRun, dryRun } from './score-dry-run.js';
import { addNpyImageOptions, type NpyImageOptions, npyImageFormatOptions } from './score-npy-image.js';
import { type ModelOption, modelFiles, openModelOption, resolveModelOption } from './stored-model.js';

interface ScoreOptions extends NpyImageOptions {
  model: string;
  architecture?: string;
  dataDir?: string;
  source: string;
  target: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  connection?: string;
  batchSize: number;
  concurrency: number;
  threads?: number;
  ioThreads?: number;
  maxFileSize: number;
  include?: string[];
  inputFormat: InputFormat;
  outputFormat: OutputFormat;
  idField?: string;
  columns?: string;
  idColumn?: string;
  join: 'id' | 'input';
  dryRun?: number | true;
  maxFailures?: string;
  resume?: boolean;
  report: boolean;
  json?: boolean;
  quiet?: boolean;
  logLevel: string;
  redis?: string;
  shardSize: number;
  maxQueuedShards: number;
  splitSize: number;
}

/** Exit code when some inputs failed (the others were scored). */
export const EXIT_SOME_FAILED = 3;

/** `keras-batch score`: the batch job — every input of the source scored into the target. */
export function registerScore(program: Command): void {
  const command = program
    .command('score')
    .description(
      "score every input file of a source bucket/folder into a target bucket/folder (the seed's batch job)",
    );
  addNpyImageOptions(addScoreOptions(command)).action(scoreAction);
}

/** The options of `score`: model, locations, S3 settings, job tuning, output, and the distributed mode. */
function addScoreOptions(command: Command): Command {
  return command
    .requiredOption(
      '-m, --model <file>',
      'Keras model file (.h5, .hdf5, .keras), or a stored model id or name',
    )
    .option('--data-dir <dir>', 'repository data dir for a stored --model (default ./.keras-batch)')
    .option('--architecture <json>', 'architecture JSON for a weights-only .h5')
    .requiredOption('-s, --source <location>', 'inputs: ./dir, /abs/dir, s3://bucket or s3://bucket/prefix')
    .requiredOption('-t, --target <location>', 'outputs: ./dir, /abs/dir, s3://bucket or s3://bucket/prefix')
    .option(
      '--endpoint <url>',
      'S3-compatible endpoint (IBM COS, MinIO, ...); credentials come from the AWS environment/profile or --connection',
    )
    .option('--region <region>', 'S3 signing region')
    .option('--profile <name>', 'AWS shared-config profile')
    .option('--connection <file>', 'JSON file with WML-style COS keys {"access_key","secret_key","url"}')
    .option('--batch-size <n>', 'records per engine call, gathered across files', positiveInteger, 256)
    .option('--concurrency <n>', 'concurrent storage requests', positiveInteger, 16)
    .option('--threads <n>', 'inference threads (default: all cores)', positiveInteger)
    .option(
      '--io-threads <n>',
      'threads reading and writing local folders, 0 = none (default: cores, at most 4)',
      nonNegativeInteger,
    )
    .option(
      '--max-file-size <size>',
      'inputs larger than this fail (default 64MiB)',
      byteSize,
      64 * 1024 ** 2,
    )
    .option(
      '--include <glob...>',
      'which keys are inputs (default: the endings of --input-format); others fail as "not an input file"',
    )
    .addOption(
      new Option(
        '--input-format <format>',
        "how inputs are read; auto: by each key's ending (docs/input-formats.md)",
      )
        .choices([...INPUT_FORMATS])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--output-format <format>',
        'CSV: csv or jsonl; zip: a folder (auto) or zip; NumPy: npy (auto) or json',
      )
        .choices(['auto', 'csv', 'jsonl', 'zip', 'json'])
        .default('auto'),
    )
    .option(
      '--dry-run [n]',
      'list the source, score the first n inputs (and n records of each record file; default 8) writing nothing, and estimate the job',
      positiveInteger,
    )
    .option('--id-field <name>', 'JSON Lines: a field passed through to each output line as "id"')
    .option('--columns <a,b,c>', 'CSV: the columns the model reads, in order (default: all but --id-column)')
    .option('--id-column <name>', 'CSV: the column written before the predictions (default: the row number)')
    .addOption(
      new Option(
        '--join <what>',
        'CSV: write the id (id) or every input column (input) before the predictions',
      )
        .choices(['id', 'input'])
        .default('id'),
    )
    .option(
      '--max-failures <n|p%>',
      'stop early when more inputs than this fail (with --redis: no more shards, waiting ones removed)',
    )
    .option(
      '--resume',
      'skip inputs already scored from the same input version by the same model (with --redis: by the workers)',
    )
    .option('--no-report', 'do not write _keras-batch/<job-id>/report.json and errors.jsonl in the target')
    .option('--json', 'print the job report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .option('--log-level <level>', 'pino log level on stderr (fatal, error, warn, info, debug)', 'warn')
    .option('--redis <url>', 'run the job over worker processes (keras-batch worker) through this Redis')
    .option('--shard-size <n>', 'with --redis: inputs per shard', positiveInteger, QUEUE_DEFAULTS.shardSize)
    .option(
      '--max-queued-shards <n>',
      'with --redis: shards of this job out at once (listing waits)',
      positiveInteger,
      QUEUE_DEFAULTS.maxQueuedShards,
    )
    .option(
      '--split-size <size>',
      'with --redis: JSON Lines and CSV files larger than this are split into parts of this size (default 256MiB)',
      byteSize,
      QUEUE_DEFAULTS.splitBytes,
    );
}

/** `score --dry-run [N]`: the first N inputs scored, nothing written, a summary printed. */
async function dryRunAction(
  options: ScoreOptions,
  model: Awaited<ReturnType<typeof openModelOption>>,
  source: import('../../storage/index.js').BucketDriver,
  target: import('../../storage/index.js').BucketDriver,
): Promise<void> {
  const n = options.dryRun === true || options.dryRun === undefined ? 8 : options.dryRun;
  const summary = await dryRun(
    {
      model: { engine: model.engine, sha256: model.sha256, name: options.model },
      source,
      target,
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      maxFileBytes: options.maxFileSize,
      include: options.include,
      formats: formatOptions(options),
    },
    n,
  );
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ ...summary, report: { counts: summary.report.counts, failures: summary.report.failures, durationMs: summary.report.durationMs } }, null, 2)}\n`
      : `${describeDryRun(summary, model.engine)}\n`,
  );
  const r = summary.report;
  process.exitCode = r.counts.failed > 0 || (r.counts.failedRecords ?? 0) > 0 ? EXIT_SOME_FAILED : 0;
}

/** The input-format options of `score` as the batch runner takes them. */
function formatOptions(options: ScoreOptions): FormatOptions {
  return {
    inputFormat: options.inputFormat,
    outputFormat: options.outputFormat,
    idField: options.idField,
    columns: options.columns
      ?.split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
    idColumn: options.idColumn,
    join: options.join,
    ...npyImageFormatOptions(options),
  };
}

/** Runs `score`: here with the batch runner, or with `--redis` over worker processes. */
async function scoreAction(options: ScoreOptions): Promise<void> {
  const logger = createLogger(options.logLevel);
  const { batchSize, concurrency } = options;
  const maxFileBytes = options.maxFileSize;
  const maxFailures = options.maxFailures ? parseFailureLimit(options.maxFailures) : undefined;
  const bucketOptions = { ...options, concurrency };
  const source = await openCliBucket(options.source, bucketOptions);
  const target = await openCliBucket(options.target, { ...bucketOptions, create: true });
  if (locationsOverlap(source.location, target.location)) {
    throw new KerasBatchError(
      'cli',
      'CLI_TARGET_OVERLAPS_SOURCE',
      `the target ${formatLocation(target.location)} is the source or inside it (or contains it): choose a separate target`,
    );
  }
  const stored = await resolveModelOption(options.model, options.architecture, options.dataDir);
  if (options.redis && options.dryRun === undefined) {
    const files = await modelFiles(stored);
    try {
      await scoreDistributed(options, stored, files, {
        source,
        target,
        batchSize,
        concurrency,
        maxFileBytes,
        maxFailures,
      });
    } finally {
      await files.dispose();
    }
    return;
  }
  const model = await openModelOption(stored, options.threads);
  logger.info(
    { model: options.model, sha256: model.sha256, loadMs: Math.round(model.loadMs) },
    'model loaded',
  );
  // Reach both buckets before anything is written: a bad location is a usage error with nothing written.
  await preflightBuckets(source.driver, target.driver, null);
  if (options.dryRun !== undefined) {
    try {
      await dryRunAction(options, model, source.driver, target.driver);
    } finally {
      await model.engine.dispose();
      await source.driver.close();
      await target.driver.close();
    }
    return;
  }
  const bar = createProgressBar(!options.quiet && !options.json && Boolean(process.stderr.isTTY));
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const report = await runBatchJob({
      model: {
        engine: model.engine,
        sha256: model.sha256,
        name: options.model.split(/[\\/]/).pop() ?? options.model,
        format: model.description.format,
        kerasVersion: model.description.kerasVersion,
      },
      source: source.driver,
      target: target.driver,
      sourceText: formatLocation(source.location),
      targetText: formatLocation(target.location),
      batchSize,
      concurrency,
      ioThreads: options.ioThreads,
      maxFileBytes,
      include: options.include,
      formats: formatOptions(options),
      maxFailures,
      resume: options.resume,
      writeReport: options.report,
      signal: controller.signal,
      onProgress: (e) => bar.update(e),
      onWarning: (message) => logger.warn(message),
    });
    bar.stop();
    for (const f of report.failures) logger.info({ file: f.file, stage: f.stage, code: f.code }, f.reason);
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${summarize(report)}\n`);
    process.exitCode = report.status === 'completed' && !report.reportError ? 0 : EXIT_SOME_FAILED;
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    await model.engine.dispose();
    await source.driver.close();
    await target.driver.close();
  }
}

/** `score --redis`: this process lists and enqueues; `keras-batch worker` processes score. */
async function scoreDistributed(
  options: ScoreOptions,
  stored: ModelOption,
  files: { path: string; architecture?: string },
  o: {
    source: Awaited<ReturnType<typeof openCliBucket>>;
    target: Awaited<ReturnType<typeof openCliBucket>>;
    batchSize: number;
    concurrency: number;
    maxFileBytes: number;
    maxFailures?: FailureLimit;
  },
) {
  await preflightBuckets(o.source.driver, o.target.driver, null);
  const { runDistributedScore } = await import('./score-distributed.js');
  const bar = createProgressBar(!options.quiet && !options.json && Boolean(process.stderr.isTTY));
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const report = await runDistributedScore({
      redis: options.redis ?? '',
      modelPath: files.path,
      architecture: files.architecture,
      version: stored.kind === 'stored' ? stored.version : undefined,
      modelName: options.model.split(/[\\/]/).pop() ?? options.model,
      source: o.source,
      target: o.target,
      endpoint: options.endpoint,
      region: options.region,
      profile: options.profile,
      shardSize: options.shardSize,
      maxQueuedShards: options.maxQueuedShards,
      splitBytes: options.splitSize,
      batchSize: o.batchSize,
      concurrency: o.concurrency,
      maxFileBytes: o.maxFileBytes,
      include: options.include,
      formats: formatOptions(options),
      maxFailures: o.maxFailures,
      resume: options.resume,
      writeReport: options.report,
      signal: controller.signal,
      onProgress: (e) => bar.update(e),
    });
    bar.stop();
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${summarize(report)}\n`);
    process.exitCode = report.status === 'completed' && !report.reportError ? 0 : EXIT_SOME_FAILED;
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    await o.source.driver.close();
    await o.target.driver.close();
  }
}
