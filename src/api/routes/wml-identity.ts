import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses, TokenOutput, TokenRefreshInput } from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';
import { resolveCredential } from '../credentials.js';
import { ApiError } from '../errors.js';

const tags = ['wml identity'];
/** Paths the auth hook lets through: the token routes check the credential themselves. */
export const IDENTITY_PATHS = ['/v3/identity/token', '/v2/identity/token'];

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
  for (const path of IDENTITY_PATHS)
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
}
