/**
 * The `/api/v1` request and response schemas (TypeBox, so plain JSON schema at run time): the routes validate
 * requests with them, shape responses (fields not listed are never sent) and make the OpenAPI document from
 * them; the TypeScript types below are derived from the same objects, and the API client is typed by them.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { Int, Nullable, Str, Strict, StringEnum } from './schema-kit.js';

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export const WML_STATUSES = ['INITIALIZING', 'SUCCESS', 'FAILED'] as const;

/** `{"error": {"code", "message"}}`. */
export const ErrorBody = Type.Object({ error: Type.Object({ code: Str, message: Str }) });

/**
 * The error responses every protected route may give: 400 the request does not match its schema, 401 no valid
 * API key, 404 no such resource, 409 a conflict with its state, 413 a body over the limit, 415 the wrong body
 * type, 422 it matches its schema but cannot be used, 431 the request line and headers over 64 KiB, 500 a
 * fault of the server. (405 with `Allow` answers a method a path does not have: not an operation of it.)
 */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  422: ErrorBody,
  431: ErrorBody,
  500: ErrorBody,
} as const;

/** The empty answer of a delete (204): documented as `{"type": "null"}`, sent as no body at all. */
export const NoContent = Type.Unsafe<undefined>(Type.Null());

export const IdParams = Strict({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export const VersionParams = Strict({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  version: Type.String({ minLength: 1, maxLength: 200 }),
});

export const PageQuery = Strict({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
});

/** A page of `items`. */
export const PageOf = <T extends TSchema>(items: T) =>
  Type.Object({ items: Type.Array(items), total: Int, limit: Int, offset: Int });

const Shape = Type.Array(Nullable(Type.Integer()));
export const Tensor = Type.Object({ name: Str, shape: Shape, dtype: Type.Optional(Str) });
const Layer = Type.Object({
  name: Str,
  class_name: Str,
  /** Each output's shape (batch axis first, null where open); empty for layers loaded before shapes were kept. */
  output_shapes: Type.Optional(Type.Array(Shape)),
  params: Int,
});

export const Version = Type.Object({
  id: Str,
  model_id: Str,
  version: Int,
  framework: Str,
  keras_version: Str,
  format: Str,
  inputs: Type.Array(Tensor),
  outputs: Type.Array(Tensor),
  layers: Type.Array(Layer),
  params: Int,
  size: Int,
  sha256: Str,
  file_name: Str,
  author: Nullable(Str),
  created_at: Str,
});

export const Model = Type.Object({
  id: Str,
  name: Str,
  description: Str,
  author: Nullable(Str),
  framework: Str,
  created_at: Str,
  updated_at: Str,
  latest_version: Int,
  versions: Type.Optional(Type.Array(Version)),
});

export const ModelCreated = Type.Object({ model: Model, version: Version });
export const VersionList = Type.Object({ items: Type.Array(Version) });
export const FileQuery = Strict({
  part: Type.Optional(StringEnum(['model', 'architecture'], { default: 'model' })),
});
/** A version's file as uploaded (`application/octet-stream`). */
export const FileBytes = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' });

export const Connection = Type.Object(
  {
    id: Str,
    name: Str,
    type: StringEnum(['s3', 'local']),
    endpoint: Nullable(Str),
    region: Nullable(Str),
    path: Nullable(Str),
    /** `…a1b2`: the last characters of the access key, never the keys. */
    access_key_hint: Nullable(Str),
    created_at: Str,
  },
  {
    description:
      'A stored connection. The keys are write-only: only a masked hint of the access key is shown.',
  },
);

export const ConnectionInput = Strict({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  type: StringEnum(['s3', 'local']),
  /** S3/COS endpoint URL (`https://s3.us-south.cloud-object-storage.appdomain.cloud`). */
  endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  access_key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  secret_key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  /** Root folder of a local connection. */
  path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
});

/** How a job runs: every input, skipping inputs already scored by the same model, or only a job's failed inputs. */
export const JOB_MODES = ['all', 'resume', 'failed'] as const;

/** What one finished or interrupted attempt of a job did. */
export const JobAttempt = Type.Object({
  attempt: Int,
  started_at: Nullable(Str),
  ended_at: Str,
  /** `completed`, `failed`, `canceled`, or `interrupted` (a server stop: the next attempt resumed). */
  outcome: Str,
  scored: Int,
  failed: Int,
  skipped: Int,
});

export const Job = Type.Object({
  id: Str,
  deployment_id: Str,
  status: StringEnum(JOB_STATUSES),
  /** WML v3's view of the job's state. */
  wml_status: StringEnum(WML_STATUSES),
  status_message: Nullable(Str),
  interrupted: Type.Boolean(),
  attempts: Int,
  counts: Type.Object({ total: Int, scored: Int, failed: Int, skipped: Int, records: Int }),
  listing_done: Type.Boolean(),
  /** Finished inputs over the inputs listed so far (0..1); 1 once final. */
  progress: Type.Number(),
  created_at: Str,
  started_at: Nullable(Str),
  finished_at: Nullable(Str),
  duration_ms: Nullable(Type.Number()),
  files_per_second: Nullable(Type.Number()),
  records_per_second: Nullable(Type.Number()),
  mode: StringEnum(JOB_MODES),
  /** The job this one reruns (`mode` `failed` scores only its failed inputs). */
  rerun_of: Nullable(Str),
  /** What each earlier attempt did (a job resumed after a server stop has one per stop). */
  history: Type.Array(JobAttempt),
});

const Location = Type.Object({ connection_id: Str, bucket: Nullable(Str), prefix: Str });

export const DeploymentOptions = Strict({
  batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
  /** A count (`10`) or a percentage (`5%`). */
  max_failures: Type.Optional(Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  /** How inputs are read (docs/input-formats.md); `auto` by each key's ending. */
  input_format: Type.Optional(StringEnum(['auto', 'json', 'jsonl', 'csv', 'zip', 'npy', 'image'])),
  output_format: Type.Optional(StringEnum(['auto', 'csv', 'jsonl', 'zip', 'json'])),
  id_field: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  columns: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100000 })),
  id_column: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  join: Type.Optional(StringEnum(['id', 'input'])),
  npz_arrays: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 })),
  resize: Type.Optional(StringEnum(['stretch', 'crop', 'pad'])),
  scale: Type.Optional(StringEnum(['raw', 'unit', 'symmetric', 'caffe', 'torch'])),
});

export const Deployment = Type.Object({
  id: Str,
  name: Str,
  description: Str,
  type: StringEnum(['batch', 'online']),
  model_id: Str,
  model_version_id: Str,
  model_version: Int,
  source: Nullable(Location),
  target: Nullable(Location),
  options: DeploymentOptions,
  created_at: Str,
  last_job: Type.Union([Type.Null(), Job]),
});

/** One server-sent event of a job's stream (as the stream's parser reads it): `event: job`, the Job as JSON. */
export const JobEvent = Type.Object(
  {
    event: StringEnum(['job']),
    data: Type.String({ contentMediaType: 'application/json', description: 'the Job, as JSON' }),
  },
  { required: ['event', 'data'], description: 'a server-sent event' },
);

export const Failure = Type.Object({
  file: Str,
  stage: Str,
  code: Str,
  reason: Str,
  /** The job's attempt that failed on the input (a resumed job keeps its earlier attempts' failures). */
  attempt: Type.Optional(Int),
});

const PlaceInput = Strict({
  connection: Type.String({ minLength: 1, description: 'connection id or name' }),
  bucket: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  prefix: Type.Optional(Type.String({ maxLength: 1024 })),
});

export const DeploymentInput = Strict({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  type: StringEnum(['batch', 'online']),
  model: Type.String({ minLength: 1, description: 'model id or name' }),
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  source: Type.Optional(PlaceInput),
  target: Type.Optional(PlaceInput),
  options: Type.Optional(DeploymentOptions),
  start: Type.Optional(Type.Boolean({ default: true })),
});

export const DeploymentQuery = Strict({
  ...PageQuery.properties,
  model: Type.Optional(Type.String({ minLength: 1, description: 'model id or name' })),
  connection: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'connection id or name: the deployments reading or writing through it',
    }),
  ),
});

/** An edit of a deployment: the fields given change, the others stay. */
export const DeploymentPatch = Strict(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'unique among deployments' }),
    ),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    options: Type.Optional(DeploymentOptions),
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: "the version of the deployment's model it uses" }),
    ),
  },
  { minProperties: 1 },
);

const JOB_RECORDS = Type.Optional(
  StringEnum(['delete', 'keep'], {
    default: 'delete',
    description:
      "the deleted deployments' job records: deleted, or kept (still listed under /api/v1/jobs). Outputs written in the target are never deleted",
  }),
);

export const DeploymentDeleteQuery = Strict({ jobs: JOB_RECORDS });

/** What deleting a model or connection does to the deployments that use it. */
export const CascadeQuery = Strict({
  deployments: Type.Optional(
    StringEnum(['refuse', 'delete'], {
      default: 'refuse',
      description: 'refuse (409, naming them) while deployments use it, or delete them first',
    }),
  ),
  jobs: JOB_RECORDS,
});

export const ModelDeleteQuery = Strict({
  deployments: CascadeQuery.properties.deployments,
});

/** A rename of a model or a new description. */
export const ModelPatch = Strict(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'unique among models' })),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
  },
  { minProperties: 1 },
);

export const JobQuery = Strict({
  ...PageQuery.properties,
  deployment: Type.Optional(Type.String({ minLength: 1 })),
  status: Type.Optional(Type.Array(StringEnum(JOB_STATUSES))),
  /** Jobs created at or after this time (ISO-8601). */
  since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  /** Jobs created before this time (ISO-8601). */
  until: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  /** The start of a job id, or a part of its deployment's name. */
  q: Type.Optional(Type.String({ maxLength: 200 })),
});

/** `{"values": ...}` of online scoring (`fields` is accepted, as WML clients send it, and ignored). */
export const OnlineInput = Strict({
  values: Type.Array(Type.Unknown(), { minItems: 1 }),
  fields: Type.Optional(Type.Array(Str)),
});

/** What online scoring returns. */
export const OnlineOutput = Type.Object({
  fields: Type.Array(Str),
  values: Type.Array(Type.Array(Type.Unknown())),
});

const PlaceQuery = {
  bucket: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  prefix: Type.Optional(Type.String({ maxLength: 1024, default: '' })),
};
export const TestResult = Type.Object({ ok: Type.Boolean(), buckets: Type.Array(Str) });
export const BucketList = Type.Object({ items: Type.Array(Str) });
export const ObjectsQuery = Strict({
  ...PlaceQuery,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
export const ObjectListing = Type.Object({
  items: Type.Array(Type.Object({ key: Str, size: Int, last_modified: Str })),
  count: Int,
  count_capped: Type.Boolean(),
});
export const ObjectQuery = Strict({ ...PlaceQuery, key: Type.String({ minLength: 1, maxLength: 2048 }) });
export const ObjectPreview = Type.Object({ key: Str, size: Int, text: Str, truncated: Type.Boolean() });

export type ErrorBody = Static<typeof ErrorBody>;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type WmlStatus = (typeof WML_STATUSES)[number];
export type PageQuery = Static<typeof PageQuery>;
export type Page<T> = { items: T[]; total: number; limit: number; offset: number };
export type TensorView = Static<typeof Tensor>;
export type LayerView = Static<typeof Layer>;
export type ModelVersionView = Static<typeof Version>;
export type ModelView = Static<typeof Model>;
export type ModelCreated = Static<typeof ModelCreated>;
export type ConnectionView = Static<typeof Connection>;
export type ConnectionInput = Static<typeof ConnectionInput>;
export type JobView = Static<typeof Job>;
export type JobMode = (typeof JOB_MODES)[number];
export type JobAttemptView = Static<typeof JobAttempt>;
export type LocationView = Static<typeof Location>;
export type DeploymentOptionsView = Static<typeof DeploymentOptions>;
export type DeploymentView = Static<typeof Deployment>;
export type DeploymentInput = Static<typeof DeploymentInput>;
export type DeploymentPatch = Static<typeof DeploymentPatch>;
export type DeploymentDeleteQuery = Static<typeof DeploymentDeleteQuery>;
export type CascadeQuery = Static<typeof CascadeQuery>;
export type ModelDeleteQuery = Static<typeof ModelDeleteQuery>;
export type ModelPatch = Static<typeof ModelPatch>;
export type DeploymentQuery = Static<typeof DeploymentQuery>;
export type JobQuery = Static<typeof JobQuery>;
export type FailureView = Static<typeof Failure>;
export type OnlineInput = Static<typeof OnlineInput>;
export type OnlineOutput = Static<typeof OnlineOutput>;
export type TestResult = Static<typeof TestResult>;
export type ObjectsQuery = Static<typeof ObjectsQuery>;
export type ObjectListing = Static<typeof ObjectListing>;
export type ObjectQuery = Static<typeof ObjectQuery>;
export type ObjectPreview = Static<typeof ObjectPreview>;
