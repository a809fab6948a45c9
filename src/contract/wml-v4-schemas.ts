/**
 * Schemas of the WML v4 routes IBM's `ibm-watson-machine-learning` client calls: spaces, software
 * specifications, models, assets, deployments, predictions and deployment jobs. Request bodies are open
 * (the client sends fields we do not read); responses list what the client reads.
 */
import { type Static, type TProperties, type TSchema, Type } from 'typebox';
import { Int, Str, Strict, StringEnum } from './schema-kit.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Text = Type.String({ maxLength: 1000 });
const Open = <T extends TProperties>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
const Href = Type.Object({ href: Str });
const ListOf = <T extends TSchema>(item: T) =>
  Open({ total_count: Int, limit: Int, first: Href, resources: Type.Array(item) });

/** The query string every v4 call carries (`version`, `space_id`...): read where it matters, else ignored. */
export const V4Query = Open({
  version: Type.Optional(Type.String({ maxLength: 40 })),
  space_id: Type.Optional(Id),
  project_id: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export const V4ListQuery = Open({
  ...V4Query.properties,
  asset_id: Type.Optional(Id),
  name: Type.Optional(Type.String({ maxLength: 200 })),
});
export const V4JobListQuery = Open({
  ...V4Query.properties,
  deployment_id: Type.Optional(Id),
  state: Type.Optional(StringEnum(['queued', 'running', 'completed', 'failed', 'canceled'])),
});
export const V4JobDeleteQuery = Open({
  ...V4Query.properties,
  hard_delete: Type.Optional(Type.Boolean()),
});

export const SpaceParams = Strict({ space_id: Id });
export const V4ModelParams = Strict({ model_id: Id });
export const AssetParams = Strict({ asset_id: Id });
export const V4DeploymentParams = Strict({ deployment_id: Id });
export const V4JobParams = Strict({ job_id: Id });

export const Space = Open({
  metadata: Open({ id: Str, url: Str, created_at: Str }),
  entity: Open({ name: Str, description: Str, status: Open({ state: Str }), stage: Open({}) }),
});
export const SpaceList = ListOf(Space);

export const SoftwareSpec = Open({
  metadata: Open({ asset_id: Str, name: Str, asset_type: Str, href: Str }),
  entity: Open({
    software_specification: Open({ type: Str, display_name: Str, software_configuration: Open({}) }),
  }),
});
export const SoftwareSpecList = Open({ total_results: Int, resources: Type.Array(SoftwareSpec) });
/** `/ml/v4/list/software_specifications`: each spec's support state. */
export const SoftwareSpecStates = Open({
  total_results: Int,
  results: Type.Array(Open({ id: Str, name: Str, state: Str, replacement: Str })),
});

/** What `repository.store_model` posts before the file: the model's name, type and software spec. */
export const V4ModelInput = Open({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Text),
  type: Type.Optional(Type.String({ maxLength: 100 })),
  software_spec: Type.Optional(Open({ id: Type.Optional(Id), name: Type.Optional(Id) })),
  space_id: Type.Optional(Id),
});
export const V4Model = Open({
  metadata: Open({
    id: Str,
    name: Str,
    description: Str,
    space_id: Str,
    created_at: Str,
    modified_at: Str,
    owner: Str,
    rev: Str,
  }),
  entity: Open({ type: Str, software_spec: Open({}), content_import_state: Str }),
});
export const V4ModelList = ListOf(V4Model);

export const Asset = Open({
  metadata: Open({
    asset_id: Str,
    asset_type: Str,
    name: Str,
    space_id: Str,
    created_at: Str,
    usage: Open({ last_updated_at: Str }),
  }),
  entity: Open({ wml_model: Open({ type: Str }) }),
  href: Str,
});

export const V4DeploymentInput = Open({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Text),
  space_id: Type.Optional(Id),
  asset: Open({ id: Id, rev: Type.Optional(Type.String({ maxLength: 200 })) }),
  online: Type.Optional(Open({})),
  batch: Type.Optional(Open({})),
  hardware_spec: Type.Optional(Open({})),
});
export const V4Deployment = Open({
  metadata: Open({ id: Str, name: Str, description: Str, space_id: Str, created_at: Str, modified_at: Str }),
  entity: Open({
    name: Str,
    description: Str,
    online: Type.Optional(Open({})),
    batch: Type.Optional(Open({})),
    asset: Open({ id: Str, rev: Str }),
    space_id: Str,
    deployed_asset_type: Str,
    hardware_spec: Open({}),
    status: Open({ state: Str }),
  }),
});
export const V4DeploymentList = ListOf(V4Deployment);

const InputData = Type.Array(
  Open({
    id: Type.Optional(Type.String({ maxLength: 200 })),
    fields: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
    values: Type.Array(Type.Unknown(), { minItems: 1 }),
  }),
  { minItems: 1, maxItems: 100 },
);
export const PredictionsInput = Open({ input_data: InputData });
export const PredictionsOutput = Type.Object({
  predictions: Type.Array(Open({ fields: Type.Array(Str), values: Type.Array(Type.Unknown()) })),
});

/** A data reference of a job: a stored connection (`connection.id`), inline S3/COS keys, or a local path. */
export const DataReference = Open({
  id: Type.Optional(Type.String({ maxLength: 200 })),
  type: Type.String({ minLength: 1, maxLength: 100 }),
  connection: Type.Optional(
    Open({
      id: Type.Optional(Id),
      endpoint_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
      access_key_id: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
      secret_access_key: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
      region: Type.Optional(Type.String({ maxLength: 100 })),
    }),
  ),
  location: Open({
    bucket: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    file_name: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    /** A data asset's `/v2/assets/{id}` (refused: no data assets here). */
    href: Type.Optional(Type.String({ maxLength: 4000 })),
  }),
});
export const V4JobInput = Open({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  space_id: Type.Optional(Id),
  deployment: Open({ id: Id }),
  hardware_spec: Type.Optional(Open({})),
  scoring: Open({
    input_data: Type.Optional(InputData),
    input_data_references: Type.Optional(Type.Array(DataReference, { minItems: 1, maxItems: 1 })),
    output_data_reference: Type.Optional(DataReference),
  }),
});
export const V4Job = Open({
  metadata: Open({ id: Str, name: Str, space_id: Str, created_at: Str, modified_at: Str }),
  entity: Open({
    deployment: Open({ id: Str }),
    platform_job: Open({ job_id: Str, run_id: Str }),
    hardware_spec: Open({}),
    scoring: Open({
      status: Open({ state: Str }),
      predictions: Type.Optional(
        Type.Array(Open({ fields: Type.Array(Str), values: Type.Array(Type.Unknown()) })),
      ),
      keras_batch: Open({ counts: Open({}), progress: Type.Number(), failures: Str }),
    }),
  }),
});
export const V4JobList = ListOf(V4Job);

export type V4ModelInput = Static<typeof V4ModelInput>;
export type V4Model = Static<typeof V4Model>;
export type V4Deployment = Static<typeof V4Deployment>;
export type V4DeploymentInput = Static<typeof V4DeploymentInput>;
export type DataReference = Static<typeof DataReference>;
export type V4JobInput = Static<typeof V4JobInput>;
export type V4Job = Static<typeof V4Job>;
export type Space = Static<typeof Space>;
export type SoftwareSpec = Static<typeof SoftwareSpec>;
