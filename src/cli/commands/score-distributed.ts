import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FailureLimit, FormatOptions } from '../../batch/index.js';
import { modelSha256 } from '../../engine/open-model.js';
import type { ShardModelRef } from '../../queue/index.js';
import type { BucketDriver, Location } from '../../storage/index.js';
import { formatLocation } from '../../storage/index.js';
import { KerasBatchError } from '../../util/errors.js';

/** What `score --redis` hands to the coordinator. */
export interface DistributedScoreInput {
  redis: string;
  modelPath: string;
  architecture?: string;
  /** The stored version `modelPath` is a copy of: workers load it from the repository. */
  version?: { id: string; sha256: string; fileName: string };
  modelName: string;
  source: { location: Location; driver: BucketDriver };
  target: { location: Location; driver: BucketDriver };
  endpoint?: string;
  region?: string;
  profile?: string;
  shardSize: number;
  maxQueuedShards: number;
  splitBytes?: number;
  batchSize: number;
  concurrency: number;
  maxFileBytes: number;
  include?: string[];
  formats?: FormatOptions;
  maxFailures?: FailureLimit;
  resume?: boolean;
  writeReport: boolean;
  signal: AbortSignal;
  onProgress: Parameters<typeof import('../../queue/index.js').runDistributedJob>[0]['onProgress'];
}

/** A local folder location as every worker opens it: absolute. */
const workerLocation = (location: Location): string =>
  location.kind === 'fs' ? resolve(location.path) : formatLocation(location);

/**
 * The model as workers find it: a stored version by id (from the repository, or this machine's copy for a
 * worker without one), else the file by path with its sha256 (workers check it).
 */
async function modelReference(input: DistributedScoreInput): Promise<ShardModelRef> {
  const local = {
    path: resolve(input.modelPath),
    architecture: input.architecture ? resolve(input.architecture) : undefined,
  };
  if (input.version)
    return { versionId: input.version.id, sha256: input.version.sha256, name: input.modelName, ...local };
  const read = async (path: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new KerasBatchError(
        'cli',
        'CLI_MODEL_NOT_FOUND',
        `${path}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  const architecture = input.architecture ? await read(input.architecture) : undefined;
  return { ...local, sha256: modelSha256(await read(input.modelPath), architecture), name: input.modelName };
}

/**
 * `score --redis URL`: runs the job as a coordinator over BullMQ workers. The S3 credentials stay here and in
 * the workers' own configuration.
 */
export async function runDistributedScore(input: DistributedScoreInput) {
  const model = await modelReference(input);
  const { runDistributedJob } = await import('../../queue/index.js');
  return runDistributedJob({
    redisUrl: input.redis,
    model,
    source: input.source.driver,
    target: input.target.driver,
    sourceText: workerLocation(input.source.location),
    targetText: workerLocation(input.target.location),
    bucket: { endpoint: input.endpoint, region: input.region, profile: input.profile },
    shardSize: input.shardSize,
    maxQueuedShards: input.maxQueuedShards,
    splitBytes: input.splitBytes,
    batchSize: input.batchSize,
    concurrency: input.concurrency,
    maxFileBytes: input.maxFileBytes,
    include: input.include,
    formats: input.formats,
    maxFailures: input.maxFailures,
    resume: input.resume,
    writeReport: input.writeReport,
    signal: input.signal,
    onProgress: input.onProgress,
  });
}
