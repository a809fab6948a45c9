/**
 * The JSON shapes the `/api/v1` routes return: the contract between the server, the CLI and the web UI (which
 * imports these types; keep this file free of runtime code and of imports beyond types).
 */
import type { JobStatus } from '../repository/jobs.js';

export type { JobStatus };

export interface TensorView {
  name: string;
  shape: (number | null)[];
  dtype?: string;
}

export interface LayerView {
  name: string;
  class_name: string;
  /** Each output's shape (batch axis first, null where open); empty for layers loaded before shapes were kept. */
  output_shapes?: (number | null)[][];
  params: number;
}

export interface ModelVersionView {
  id: string;
  model_id: string;
  version: number;
  framework: 'keras';
  keras_version: string;
  format: string;
  inputs: TensorView[];
  outputs: TensorView[];
  layers: LayerView[];
  params: number;
  size: number;
  sha256: string;
  file_name: string;
  author: string | null;
  created_at: string;
}

export interface ModelView {
  id: string;
  name: string;
  description: string;
  author: string | null;
  framework: 'keras';
  created_at: string;
  updated_at: string;
  latest_version: number;
  versions?: ModelVersionView[];
}

export interface ConnectionView {
  id: string;
  name: string;
  type: 's3' | 'local';
  endpoint: string | null;
  region: string | null;
  path: string | null;
  /** `…a1b2`: the last characters of the access key, never the keys. */
  access_key_hint: string | null;
  created_at: string;
}

export interface LocationView {
  connection_id: string;
  bucket: string | null;
  prefix: string;
}

export interface DeploymentOptionsView {
  batch_size?: number;
  max_failures?: string;
  concurrency?: number;
}

export interface DeploymentView {
  id: string;
  name: string;
  description: string;
  type: 'batch' | 'online';
  model_id: string;
  model_version_id: string;
  model_version: number;
  source: LocationView | null;
  target: LocationView | null;
  options: DeploymentOptionsView;
  created_at: string;
  last_job: JobView | null;
}

/** WML v3's view of a job's state. */
export type WmlStatus = 'INITIALIZING' | 'SUCCESS' | 'FAILED';

export interface JobView {
  id: string;
  deployment_id: string;
  status: JobStatus;
  wml_status: WmlStatus;
  status_message: string | null;
  interrupted: boolean;
  attempts: number;
  counts: { total: number; scored: number; failed: number; skipped: number; records: number };
  listing_done: boolean;
  /** Finished inputs over the inputs listed so far (0..1); 1 once final. */
  progress: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  files_per_second: number | null;
  records_per_second: number | null;
}

export interface FailureView {
  file: string;
  stage: string;
  code: string;
  reason: string;
}

/** A page of a listing. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
