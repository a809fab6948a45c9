/** What the service's create calls take (the API and the CLI build these). */
import type { ModelSource } from '../engine/model-thread/index.js';

/** A file the service is given: its bytes, or the path of a file holding them (an upload streamed to disk). */
export type FileInput = ModelSource;

export interface NewModelInput {
  /** The new model's id (a UUID the caller made, e.g. announced before the upload); default a new one. */
  id?: string;
  name: string;
  description?: string;
  author?: string;
  /** The model file: `.h5`/`.hdf5`/`.keras`, or a weights-only `.h5` with `architecture`. */
  file: { name: string } & FileInput;
  /** `model.to_json()` for a weights-only `.h5`. */
  architecture?: FileInput;
}

export interface NewConnectionInput {
  name?: string;
  type: 's3' | 'local';
  /** S3/COS endpoint URL (`https://s3.us-south.cloud-object-storage.appdomain.cloud`). */
  endpoint?: string;
  region?: string;
  access_key?: string;
  secret_key?: string;
  /** Root folder of a local connection. */
  path?: string;
}

export interface PlaceInput {
  /**
   * A connection id or name, or a new connection to store with the deployment (WML v3's inline keys): it is
   * created in the same transaction, so a refused deployment leaves no connection behind.
   */
  connection: string | NewConnectionInput;
  bucket?: string;
  prefix?: string;
}

export interface DeploymentOptionsInput {
  batch_size?: number;
  /** A count (`10`) or a percentage (`5%`). */
  max_failures?: string;
  concurrency?: number;
}

export interface NewDeploymentInput {
  name: string;
  description?: string;
  type: 'batch' | 'online';
  /** A model id or name. */
  model: string;
  /** A version number; default the latest. */
  version?: number;
  source?: PlaceInput;
  target?: PlaceInput;
  options?: DeploymentOptionsInput;
  /** Start a job at once (batch only). Default true. */
  start?: boolean;
}

/** Paging of listings. */
export interface PageInput {
  limit?: number;
  offset?: number;
}
