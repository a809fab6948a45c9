import type { BucketDriver } from '../storage/index.js';
import type { ShardModelVersion, ShardPlace } from './types.js';

/** The stored files of a model version. */
export interface StoredModelFiles {
  file: Uint8Array;
  /** The architecture JSON of a weights-only `.h5`. */
  architecture?: Uint8Array;
  fileName: string;
}

/**
 * What a worker needs from the model repository to score the shards of `serve --redis` jobs. The service part
 * implements it over the database, the artifact store and the secret key; the queue never reads them itself.
 * Errors: a `KerasBatchError` that is not retryable (no such version, a key that cannot be unsealed) fails the
 * job once with its message; any other error is retried with backoff.
 */
export interface ShardRepository {
  /** Where the repository is, without secrets (for logs). */
  readonly where: string;
  /** The file (and architecture JSON) of a stored model version. */
  modelFiles(ref: ShardModelVersion): Promise<StoredModelFiles>;
  /** Opens a bucket/prefix of a stored connection; its keys are unsealed in memory only. */
  openPlace(place: ShardPlace, options: { create: boolean; concurrency: number }): Promise<BucketDriver>;
  close(): Promise<void>;
}
