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
  /** How inputs are read (docs/input-formats.md), and their options. */
  input_format?: 'auto' | 'json' | 'jsonl' | 'csv' | 'zip' | 'npy' | 'image';
  output_format?: 'auto' | 'csv' | 'jsonl' | 'zip' | 'json';
  id_field?: string;
  columns?: string[];
  id_column?: string;
  join?: 'id' | 'input';
  npz_arrays?: string[];
  resize?: 'stretch' | 'crop' | 'pad';
  scale?: 'raw' | 'unit' | 'symmetric' | 'caffe' | 'torch';
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
  /** A batch deployment without source and target: each job names its own (WML v4 deployment jobs). */
  jobPlaces?: boolean;
}

/** A job that names its own places (WML v4 `deployment_jobs`): inline records, or a source and a target. */
export interface NewDeploymentJobInput {
  deployment: string;
  name: string;
  /** The request as shown back in the job's record: every key already masked. */
  request: Record<string, unknown>;
  /** Inline records (WML v4 `input_data`), scored with predictions in the job's record. */
  inputData?: { id?: string; fields?: string[]; values: unknown }[];
  source?: PlaceInput;
  target?: PlaceInput;
  /** Globs of the inputs read under the source (a reference naming one file). */
  include?: string[];
  /** `zip`: a zip input gives one zip of outputs. */
  outputFormat?: 'zip';
}

/** What an edit of a deployment may change (absent fields stay). */
export interface DeploymentPatchInput {
  name?: string;
  description?: string;
  /** Replaces the options whole. */
  options?: DeploymentOptionsInput;
  /** A version number of the deployment's model. */
  version?: number;
}

/** Deployments of a model and/or through a connection (ids or names). */
export interface DeploymentFilter extends PageInput {
  model?: string;
  connection?: string;
}

/** What a delete of a model or connection does to the deployments using it, and to their job records. */
export interface CascadeInput {
  /** `refuse` (default): the delete fails while deployments use it; `delete`: they are deleted first. */
  deployments?: 'refuse' | 'delete';
  /** The deleted deployments' job records: `delete` (default) or `keep` (connections only). */
  jobs?: 'delete' | 'keep';
}

/** Paging of listings. */
export interface PageInput {
  limit?: number;
  offset?: number;
}
