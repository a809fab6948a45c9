import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ShardModelVersion, ShardPlace, ShardRepository } from '../queue/index.js';
import {
  isPostgresUrl,
  openRepository,
  type Repository,
  readSecretKey,
  SecretBox,
} from '../repository/index.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { openArtifactStore } from './artifacts.js';
import { openPlace } from './connection-drivers.js';
import { ServiceError } from './errors.js';
import { LocalRoots } from './local-roots.js';
import { type ModelFileSource, serverModelFiles, storeModelFiles } from './model-files.js';

/** Options of {@link openWorkerRepository}: the server's own settings, as on `serve`. */
export interface WorkerRepositoryOptions {
  /** The server's data dir: its SQLite database (and `secret.key`, artifacts). Default `./.keras-batch`. */
  dataDir?: string;
  /** `postgres://...`; default `DATABASE_URL` from the environment when it is one. */
  databaseUrl?: string;
  /** PostgreSQL schema (tests). */
  pgSchema?: string;
  /** The server's `--artifacts` (a shared folder or `s3://bucket/prefix`). Default `<dataDir>/artifacts`. */
  artifacts?: string;
  /** Download model files from this server's REST API (with an API key) instead of the artifact store. */
  server?: { url: string; apiKey: string };
  /** Environment for `DATABASE_URL` and `KERAS_BATCH_SECRET_KEY` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The only folders local connections may use (`worker --local-root`); absent: the places the server accepted. */
  localRoots?: readonly string[];
}

/** Database and network faults may pass; they are retried. What the repository refuses is final. */
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof KerasBatchError) throw error;
    throw new ServiceError('SERVICE_UNAVAILABLE', `${what}: ${errorMessage(error)}`, {
      cause: error,
      retryable: true,
    });
  }
}

/**
 * The repository as a queue worker sees it: stored model versions (read from the artifact store or downloaded
 * from the server) and stored connections (keys unsealed in memory with the server's secret key, from
 * `KERAS_BATCH_SECRET_KEY` or the data dir's `secret.key`; never generated here). A SQLite data dir without a
 * database is refused rather than created empty.
 */
export async function openWorkerRepository(options: WorkerRepositoryOptions): Promise<ShardRepository> {
  const env = options.env ?? process.env;
  const dataDir = options.dataDir ?? '.keras-batch';
  const databaseUrl = options.databaseUrl ?? (isPostgresUrl(env.DATABASE_URL) ? env.DATABASE_URL : undefined);
  if (!databaseUrl && !existsSync(join(dataDir, 'keras-batch.sqlite')))
    throw new ServiceError(
      'SERVICE_NO_REPOSITORY',
      `no repository in ${dataDir} (keras-batch.sqlite not found): give the server's --data-dir, or DATABASE_URL for PostgreSQL`,
    );
  const key = readSecretKey(dataDir, env);
  const box = key ? new SecretBox(key) : null;
  const roots = options.localRoots
    ? LocalRoots.confined(options.localRoots, [dataDir])
    : LocalRoots.unrestricted();
  const repo: Repository = await openRepository({ databaseUrl, dataDir, pgSchema: options.pgSchema });
  const artifacts = options.server
    ? null
    : openArtifactStore({ location: options.artifacts, dataDir }).driver;
  const files: ModelFileSource = options.server
    ? serverModelFiles(options.server.url, options.server.apiKey)
    : storeModelFiles(artifacts as NonNullable<typeof artifacts>);
  return {
    where: `${repo.where}; model files from ${files.where}`,
    async modelFiles(ref: ShardModelVersion) {
      const version = await attempt('the repository does not answer', () =>
        repo.models.getVersion(ref.versionId),
      );
      if (version.sha256 !== ref.sha256)
        throw new ServiceError(
          'SERVICE_INVALID',
          `model version ${ref.versionId} has sha256 ${version.sha256} in this worker's repository, the job wants ${ref.sha256}`,
        );
      return attempt(`the model files of version ${ref.versionId} cannot be read`, () => files.get(version));
    },
    async openPlace(place: ShardPlace, o: { create: boolean; concurrency: number }) {
      const connection = await attempt('the repository does not answer', () =>
        repo.connections.get(place.connectionId),
      );
      return openPlace(connection, { bucket: place.bucket, prefix: place.prefix }, box, { ...o, roots });
    },
    async close() {
      await artifacts?.close();
      await repo.close();
    },
  };
}
