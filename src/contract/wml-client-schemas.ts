/**
 * Schemas of the routes IBM's own WML clients call beyond the seed's REST flow: tokens, the instance, the
 * two-step model store (`/v3/ml_assets/models`) and the instance-wide deployments. Bodies keep the fields the
 * clients send even when unused (a client of 2018 sends more than we read).
 */
import { type Static, type TProperties, Type } from 'typebox';
import { Int, Nullable, Str, Strict, StringEnum } from './schema-kit.js';
import { DeploymentOptions } from './schemas.js';
import { WmlDeploymentInput } from './v3-schemas.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Open = <T extends TProperties>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });

export const TokenOutput = Type.Object({ token: Str });
export const TokenRefreshInput = Open({ token: Type.String({ minLength: 8, maxLength: 4000 }) });

export const WmlInstanceParams = Strict({ instance_id: Id });
export const WmlInstanceDeploymentParams = Strict({ instance_id: Id, deployment_id: Id });
export const MlAssetModelParams = Strict({ model_id: Id });
export const MlAssetContentParams = Strict({ model_id: Id, version_id: Id });

const Metadata = Open({ guid: Str, url: Str, created_at: Str, modified_at: Str });

export const WmlInstance = Open({
  metadata: Metadata,
  entity: Open({
    source: Str,
    published_models: Type.Object({ url: Str }),
    deployments: Type.Object({ url: Str }),
    status: Str,
    plan: Str,
    plan_id: Str,
    usage: Open({}),
  }),
});

/** What `store_model` posts before uploading the file: the model's name and framework. */
export const MlAssetModelInput = Open(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    author: Type.Optional(Open({ name: Type.Optional(Str) })),
    framework: Type.Optional(Open({ name: Type.Optional(Str), version: Type.Optional(Str) })),
  },
  'WML v3 model metadata; the file follows with PUT to entity.model_version.content_url',
);

export const MlAssetModel = Open({
  metadata: Metadata,
  entity: Open({
    name: Str,
    description: Str,
    author: Type.Object({ name: Str }),
    framework: Type.Object({ name: Str, version: Str }),
    model_type: Str,
    /** `pending` until the file is uploaded, then `stored`. */
    status: StringEnum(['pending', 'stored']),
    model_version: Open({ guid: Str, url: Str, content_url: Str }),
  }),
});

export const MlAssetContentOutput = Open({
  metadata: Open({ guid: Str, url: Str }),
  entity: Open({ model: Open({ guid: Str, url: Str }), size: Int, sha256: Str }),
});

/**
 * An instance-wide deployment (`POST /v3/wml_instances/{id}/deployments`): the seed's payload plus the model by
 * `deployable_asset_url` (or `published_model.guid`, or `model`).
 */
export const WmlInstanceDeploymentInput = Open({
  ...WmlDeploymentInput.properties,
  deployable_asset_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  published_model: Type.Optional(Open({ guid: Type.Optional(Str), url: Type.Optional(Str) })),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

export const WmlInstanceDeployment = Open({
  metadata: Metadata,
  entity: Open({
    name: Str,
    description: Str,
    type: StringEnum(['batch', 'online']),
    /** Online: `DEPLOY_SUCCESS`; batch: the last job's `INITIALIZING`, `SUCCESS` or `FAILED`. */
    status: Str,
    status_details: Open({ status: Str, job: Type.Optional(Nullable(Open({}))) }),
    model_type: Str,
    runtime_environment: Str,
    deployable_asset: Open({ guid: Str, name: Str, url: Str, type: Str }),
    published_model: Open({ guid: Str, name: Str, url: Str, version: Int }),
    scoring_url: Nullable(Str),
    options: DeploymentOptions,
  }),
});

export const WmlInstanceDeploymentList = Type.Object({
  count: Int,
  resources: Type.Array(WmlInstanceDeployment),
});

export type MlAssetModelInput = Static<typeof MlAssetModelInput>;
export type MlAssetModel = Static<typeof MlAssetModel>;
export type WmlInstance = Static<typeof WmlInstance>;
export type WmlInstanceDeploymentInput = Static<typeof WmlInstanceDeploymentInput>;
export type WmlInstanceDeployment = Static<typeof WmlInstanceDeployment>;
