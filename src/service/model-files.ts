import { createApiClient } from '../contract/index.js';
import type { ModelVersionRow } from '../repository/index.js';
import type { BucketDriver } from '../storage/index.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { ServiceError } from './errors.js';

/** A stored version's file and architecture JSON. */
export interface VersionFiles {
  file: Uint8Array;
  architecture?: Uint8Array;
  fileName: string;
}

/** Where a process reads stored model versions' files from. */
export interface ModelFileSource {
  /** Secret-free text of where (for logs). */
  readonly where: string;
  get(version: ModelVersionRow): Promise<VersionFiles>;
}

/** Reads versions' files from the artifact store (the data dir's folder, a shared folder, or S3). */
export function storeModelFiles(artifacts: BucketDriver): ModelFileSource {
  return {
    where: artifacts.describe(),
    async get(v) {
      const file = (await artifacts.get(v.artifact_key)).body;
      const architecture = v.architecture_key ? (await artifacts.get(v.architecture_key)).body : undefined;
      return { file, architecture, fileName: v.file_name };
    },
  };
}

/**
 * Downloads versions' files from a server's REST API (`GET /api/v1/models/{id}/versions/{version}/file`) with
 * an API key: for workers on machines that cannot reach the server's artifact folder. A refused key or a
 * missing version fails for good; a server that does not answer (or answers 5xx) is retried by the caller.
 */
export function serverModelFiles(server: string, apiKey: string): ModelFileSource {
  const base = server.replace(/\/+$/, '');
  /** The client for one version's files: its failures name the version. */
  const clientFor = (v: ModelVersionRow) =>
    createApiClient({
      baseUrl: base,
      apiKey,
      toError: (f) => {
        if (f.status === 0)
          return new ServiceError(
            'SERVICE_UNAVAILABLE',
            `the server ${base} does not answer: ${errorMessage(f.cause)}`,
            {
              retryable: true,
            },
          );
        const why = `the server ${base} answered ${f.status} for model version ${v.id}`;
        if (f.status === 401)
          return new ServiceError(
            'SERVICE_INVALID',
            `${why}: check the worker's API key (KERAS_BATCH_API_KEY)`,
          );
        if (f.status === 404)
          return new ServiceError('SERVICE_INVALID', `${why}: is the worker's database the server's?`);
        return new KerasBatchError('service', 'SERVICE_UNAVAILABLE', why, { retryable: true });
      },
    });
  return {
    where: base,
    async get(v) {
      const api = clientFor(v);
      return {
        file: await api.versionFile(v.model_id, v.id, 'model'),
        architecture: v.architecture_key
          ? await api.versionFile(v.model_id, v.id, 'architecture')
          : undefined,
        fileName: v.file_name,
      };
    },
  };
}
