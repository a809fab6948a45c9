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
  const download = async (v: ModelVersionRow, part: 'model' | 'architecture'): Promise<Uint8Array> => {
    const url = `${base}/api/v1/models/${encodeURIComponent(v.model_id)}/versions/${encodeURIComponent(v.id)}/file${part === 'architecture' ? '?part=architecture' : ''}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    } catch (error) {
      throw new ServiceError(
        'SERVICE_UNAVAILABLE',
        `the server ${base} does not answer: ${errorMessage(error)}`,
        {
          retryable: true,
        },
      );
    }
    if (res.ok) return new Uint8Array(await res.arrayBuffer());
    await res.body?.cancel();
    const why = `the server ${base} answered ${res.status} for model version ${v.id}`;
    if (res.status === 401)
      throw new ServiceError('SERVICE_INVALID', `${why}: check the worker's API key (KERAS_BATCH_API_KEY)`);
    if (res.status === 404)
      throw new ServiceError('SERVICE_INVALID', `${why}: is the worker's database the server's?`);
    throw new KerasBatchError('service', 'SERVICE_UNAVAILABLE', why, { retryable: true });
  };
  return {
    where: base,
    async get(v) {
      return {
        file: await download(v, 'model'),
        architecture: v.architecture_key ? await download(v, 'architecture') : undefined,
        fileName: v.file_name,
      };
    },
  };
}
