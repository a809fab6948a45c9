/** The WML v3-compatible routes' request and response schemas (`{"metadata", "entity"}` records). */
import { type Static, type TProperties, type TSchema, Type } from 'typebox';
import { Int, Nullable, Str, Strict, StringEnum } from './schema-kit.js';
import { DeploymentOptions, JOB_STATUSES, Tensor, WML_STATUSES } from './schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
export const InstanceParams = Strict({ instance_id: Id });
export const ModelParams = Strict({ instance_id: Id, published_model_id: Id });
export const DeploymentParams = Strict({ instance_id: Id, published_model_id: Id, deployment_id: Id });

const WmlConnection = Strict(
  {
    access_key: Type.Optional(Type.String({ minLength: 1 })),
    secret_key: Type.Optional(Type.String({ minLength: 1 })),
    url: Type.Optional(Type.String({ minLength: 1 })),
    id: Type.Optional(Type.String({ minLength: 1 })),
  },
  {
    description:
      'COS HMAC keys and endpoint (stored sealed, never returned), or {"id"} of a stored connection',
  },
);
/** Where a v3 input or output is: a bucket (and prefix) of a connection, or a local folder's path. */
const WmlWhere = Strict({
  bucket: Type.Optional(Type.String({ minLength: 1 })),
  prefix: Type.Optional(Type.String()),
  path: Type.Optional(Type.String({ minLength: 1 })),
});
const WmlPlaceType = StringEnum(['cloudobjectstorage', 'local']);
const WmlInput = Strict({ type: WmlPlaceType, source: WmlWhere, connection: Type.Optional(WmlConnection) });
const WmlOutput = Strict({ type: WmlPlaceType, target: WmlWhere, connection: Type.Optional(WmlConnection) });

export const WmlDeploymentInput = Strict({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  type: StringEnum(['batch', 'online']),
  input: Type.Optional(WmlInput),
  output: Type.Optional(WmlOutput),
  options: Type.Optional(DeploymentOptions),
});

/** A record as WML shows it; unlisted fields are still sent (WML clients may read more than we document). */
const WmlRecord = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: true });
const Metadata = WmlRecord({ guid: Str, url: Str, created_at: Str, modified_at: Str });

export const WmlModel = WmlRecord({
  metadata: Metadata,
  entity: WmlRecord({
    name: Str,
    description: Str,
    author: Type.Object({ name: Str }),
    model_type: Str,
    runtime_environment: Str,
    framework: Type.Object({ name: Str, version: Str }),
    latest_version: Nullable(Type.Object({ guid: Str, version: Int, url: Str, created_at: Str })),
    deployments: Type.Object({ count: Int, url: Str }),
    input_data_schema: Nullable(Type.Object({ inputs: Type.Array(Tensor) })),
    output_data_schema: Nullable(Type.Object({ outputs: Type.Array(Tensor) })),
    size: Int,
    sha256: Str,
  }),
});

/** Where a deployment reads or writes: a connection's bucket (and prefix), or a local folder. */
const WmlLocation = WmlRecord({
  type: StringEnum(['cloudobjectstorage', 'local']),
  source: Type.Optional(
    WmlRecord({ bucket: Type.Optional(Nullable(Str)), prefix: Type.Optional(Str), path: Type.Optional(Str) }),
  ),
  target: Type.Optional(
    WmlRecord({ bucket: Type.Optional(Nullable(Str)), prefix: Type.Optional(Str), path: Type.Optional(Str) }),
  ),
  connection: WmlRecord({
    id: Str,
    url: Type.Optional(Nullable(Str)),
    access_key_hint: Type.Optional(Nullable(Str)),
  }),
});

const WmlJob = WmlRecord({
  guid: Str,
  status: StringEnum(JOB_STATUSES),
  message: Nullable(Str),
  counts: Type.Object({ total: Int, scored: Int, failed: Int, skipped: Int, records: Int }),
  progress: Type.Number(),
  started_at: Nullable(Str),
  finished_at: Nullable(Str),
  failures_url: Str,
});

export const WmlDeployment = WmlRecord({
  metadata: Metadata,
  entity: WmlRecord({
    name: Str,
    description: Str,
    type: StringEnum(['batch', 'online']),
    status: StringEnum(WML_STATUSES),
    status_details: WmlRecord({ status: StringEnum(WML_STATUSES), job: Nullable(WmlJob) }),
    published_model: Type.Object({ guid: Str, name: Str, url: Str, version: Int }),
    scoring_url: Str,
    input: Type.Optional(WmlLocation),
    output: Type.Optional(WmlLocation),
    options: DeploymentOptions,
  }),
});

/** A listing: `{"count", "resources"}`. */
export const WmlListOf = <T extends TSchema>(resource: T) =>
  Type.Object({ count: Int, resources: Type.Array(resource) });

export type WmlWhere = Static<typeof WmlWhere>;
export type WmlConnection = Static<typeof WmlConnection>;
export type WmlDeploymentInput = Static<typeof WmlDeploymentInput>;
export type WmlModel = Static<typeof WmlModel>;
export type WmlDeployment = Static<typeof WmlDeployment>;
