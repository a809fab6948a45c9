/** The WML v3-compatible routes' request schemas and the free-form shape of their answers. */
import { type Static, Type } from 'typebox';
import { Strict, StringEnum } from './schema-kit.js';
import { DeploymentOptions } from './schemas.js';

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

/** A WML `{"metadata", "entity"}` record or listing (written by the routes' views, not shaped by a schema). */
export const WmlObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

export type WmlWhere = Static<typeof WmlWhere>;
export type WmlConnection = Static<typeof WmlConnection>;
export type WmlDeploymentInput = Static<typeof WmlDeploymentInput>;
