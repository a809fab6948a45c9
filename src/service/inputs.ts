/** What the service's create calls take (the API and the CLI build these). */

export interface NewModelInput {
  /** The new model's id (a UUID the caller made, e.g. announced before the upload); default a new one. */
  id?: string;
  name: string;
  description?: string;
  author?: string;
  /** The model file: `.h5`/`.hdf5`/`.keras`, or a weights-only `.h5` with `architecture`. */
  file: { name: string; bytes: Uint8Array };
  /** `model.to_json()` for a weights-only `.h5`. */
  architecture?: Uint8Array;
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
  /** How inputs are read (docs/input-formats.md), and their options. */
  input_format?: 'auto' | 'json' | 'jsonl' | 'csv' | 'zip';
  output_format?: 'auto' | 'csv' | 'jsonl' | 'zip';
  id_field?: string;
  columns?: string[];
  id_column?: string;
  join?: 'id' | 'input';
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
