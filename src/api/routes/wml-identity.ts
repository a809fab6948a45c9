import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses, TokenOutput, TokenRefreshInput } from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';
import { VERSION } from '../../util/version.js';
import { resolveCredential } from '../credentials.js';
import { ApiError } from '../errors.js';

const tags = ['wml identity'];
const TOKEN_PATHS = ['/v3/identity/token', '/v2/identity/token'];
const VERSION_PATHS = ['/ml/wml_services/version', '/ml/wml_services/v2/version'];
/** The Cloud Pak for Data release the version route reports (IBM's v4 client checks it against its own list). */
export const CPD_VERSION = '4.8.0';
/** Paths the auth hook lets through: the token routes check the credential themselves; the version is public. */
export const IDENTITY_PATHS = [...TOKEN_PATHS, '/icp4d-api/v1/authorize', ...VERSION_PATHS];

const unauthorized = () =>
  new ApiError(401, 'UNAUTHORIZED', 'a valid API key is required (HTTP Basic with the API key as password)');

/**
 * Tokens as WML issued them: `GET /v3/identity/token` (and `/v2/...`) with HTTP Basic (any user name, an API
 * key as password) → `{"token": <JWT>}`; `PUT /v3/identity/token {"token"}` → a fresh one for a valid token.
 */
export function wmlIdentityRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const issue = async (authorization: string | undefined) => {
    const key = await resolveCredential(authorization, service.keys, service.tokens);
    if (!key) throw unauthorized();
    return { token: (await service.tokens.issue(key.id)).token };
  };
  for (const path of TOKEN_PATHS)
    app.get(
      path,
      {
        schema: {
          tags,
          summary: 'A bearer token (JWT, 12 hours) for an API key given by HTTP Basic or Bearer',
          security: [],
          response: { 200: TokenOutput, ...errorResponses },
        },
      },
      async (req) => issue(req.headers.authorization),
    );
  app.put(
    '/v3/identity/token',
    {
      schema: {
        tags,
        summary: 'A fresh token for a valid one',
        security: [],
        body: TokenRefreshInput,
        response: { 200: TokenOutput, ...errorResponses },
      },
    },
    async (req) => {
      const fresh = await service.tokens.refresh(req.body.token);
      if (!fresh) throw unauthorized();
      return { token: fresh.token };
    },
  );
  app.post(
    '/icp4d-api/v1/authorize',
    {
      schema: {
        tags,
        summary:
          'A bearer token for {"username", "api_key"} (or the API key as "password"), as Cloud Pak for Data',
        security: [],
        body: Type.Object(
          {
            username: Type.Optional(Type.String({ maxLength: 200 })),
            api_key: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
            password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
          },
          { additionalProperties: true },
        ),
        response: {
          200: Type.Object({ token: Type.String(), _messageCode_: Type.String(), message: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const key = req.body.api_key ?? req.body.password;
      const verified = key ? await service.keys.verify(key) : null;
      if (!verified) throw unauthorized();
      return {
        token: (await service.tokens.issue(verified.id)).token,
        _messageCode_: '200',
        message: 'Success',
      };
    },
  );
  for (const path of VERSION_PATHS)
    app.get(
      path,
      {
        schema: {
          tags,
          summary: 'The service version, without a key (IBM v4 client start-up)',
          security: [],
          response: {
            200: Type.Object({
              version: Type.String(),
              service: Type.String(),
              keras_batch_version: Type.String(),
            }),
          },
        },
      },
      async () => ({ version: CPD_VERSION, service: 'keras-batch', keras_batch_version: VERSION }),
    );
}
