import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type RoleNeed, roleMeets } from '../contract/index.js';
import type { KeyIdentity, Role } from '../service/index.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified API key of the request (set by the auth hook; null on open routes). */
    apiKey: KeyIdentity | null;
  }
}

/** What a route needs: a role, or `any` (every valid key, `scorer` included). How roles nest: {@link roleMeets}. */
export type Need = RoleNeed;

/** Whether a key with `role` may call a route that needs `need`. */
export const meets = (role: Role, need: Need): boolean => roleMeets(role, need);

const V3 = '/v3/wml_instances/:instance_id/published_models';
const V3_MODEL = `${V3}/:published_model_id`;
const V3_DEPLOYMENT = `${V3_MODEL}/deployments/:deployment_id`;

/**
 * THE table of what each route needs, keyed by `METHOD pattern` (Fastify's route pattern). A route missing
 * here is refused to every key (fail closed), and `test/api/roles.test.ts` fails for it. `HEAD` is `GET`'s.
 * Open routes (`/health`, the UI's files, public docs) never reach this check.
 */
export const ROUTE_ROLES: Readonly<Record<string, Need>> = {
  // system and documentation
  'GET /metrics': 'viewer',
  'GET /openapi.json': 'any',
  'GET /api/v1/me': 'any',
  // keys and the audit log
  'GET /api/v1/keys': 'admin',
  'POST /api/v1/keys': 'admin',
  'DELETE /api/v1/keys/:id': 'admin',
  'GET /api/v1/audit': 'admin',
  // models
  'GET /api/v1/models': 'viewer',
  'POST /api/v1/models': 'editor',
  'GET /api/v1/models/:id': 'viewer',
  'PATCH /api/v1/models/:id': 'editor',
  'DELETE /api/v1/models/:id': 'editor',
  'GET /api/v1/models/:id/versions': 'viewer',
  'POST /api/v1/models/:id/versions': 'editor',
  'GET /api/v1/models/:id/versions/:version': 'viewer',
  'GET /api/v1/models/:id/versions/:version/file': 'viewer',
  // connections: stored keys and local folders are the admin's; editors browse them to pick places
  'GET /api/v1/connections': 'viewer',
  'POST /api/v1/connections': 'admin',
  'POST /api/v1/connections/test': 'admin',
  'GET /api/v1/connections/:id': 'viewer',
  'DELETE /api/v1/connections/:id': 'admin',
  'GET /api/v1/connections/:id/buckets': 'editor',
  'GET /api/v1/connections/:id/objects': 'editor',
  'GET /api/v1/connections/:id/object': 'editor',
  // deployments and jobs
  'GET /api/v1/deployments': 'viewer',
  'POST /api/v1/deployments': 'editor',
  'POST /api/v1/deployments/validate': 'editor',
  'GET /api/v1/deployments/:id': 'viewer',
  'PATCH /api/v1/deployments/:id': 'editor',
  'DELETE /api/v1/deployments/:id': 'editor',
  'POST /api/v1/deployments/:id/run': 'editor',
  'POST /api/v1/deployments/:id/online': 'scorer',
  'GET /api/v1/jobs': 'viewer',
  'GET /api/v1/jobs/:id': 'viewer',
  'GET /api/v1/jobs/:id/failures': 'viewer',
  'GET /api/v1/jobs/:id/failures.jsonl': 'viewer',
  'GET /api/v1/jobs/:id/failures.csv': 'viewer',
  'GET /api/v1/jobs/:id/report': 'viewer',
  'GET /api/v1/jobs/:id/events': 'viewer',
  'POST /api/v1/jobs/:id/cancel': 'editor',
  'POST /api/v1/jobs/:id/rerun': 'editor',
  // WML v3 (a deployment with inline keys or a local path also needs admin: see requireRole in v3.ts)
  [`GET ${V3}`]: 'viewer',
  [`POST ${V3}`]: 'editor',
  [`GET ${V3_MODEL}`]: 'viewer',
  [`DELETE ${V3_MODEL}`]: 'editor',
  [`GET ${V3_MODEL}/deployments`]: 'viewer',
  [`POST ${V3_MODEL}/deployments`]: 'editor',
  [`GET ${V3_DEPLOYMENT}`]: 'viewer',
  [`DELETE ${V3_DEPLOYMENT}`]: 'editor',
  [`POST ${V3_DEPLOYMENT}/online`]: 'scorer',
  // what IBM's v3 Python client calls (the tokens routes are open: they check the key themselves)
  'GET /v3/wml_instances/:instance_id': 'viewer',
  'POST /v3/ml_assets/models': 'editor',
  'PUT /v3/ml_assets/models/:model_id/versions/:version_id/content': 'editor',
  'GET /v3/ml_assets/models/:model_id': 'viewer',
  'GET /v3/ml_assets/models/:model_id/versions/:version_id': 'viewer',
  'GET /v3/ml_assets/models/:model_id/content': 'viewer',
  'GET /v3/ml_assets/models/:model_id/versions/:version_id/content': 'viewer',
  'DELETE /v3/ml_assets/models/:model_id': 'editor',
  'POST /v3/wml_instances/:instance_id/deployments': 'editor',
  'GET /v3/wml_instances/:instance_id/deployments': 'viewer',
  'GET /v3/wml_instances/:instance_id/deployments/:deployment_id': 'viewer',
  'DELETE /v3/wml_instances/:instance_id/deployments/:deployment_id': 'editor',
  // what IBM's v4 Python client calls (a job with inline keys or a local path also needs admin)
  'GET /v2/spaces': 'viewer',
  'GET /v2/spaces/:space_id': 'viewer',
  'GET /v2/software_specifications': 'viewer',
  'GET /ml/v4/list/software_specifications': 'viewer',
  'GET /ml/v4/functions': 'viewer',
  'POST /ml/v4/models': 'editor',
  'PUT /ml/v4/models/:model_id/content': 'editor',
  'GET /ml/v4/models': 'viewer',
  'GET /ml/v4/models/:model_id': 'viewer',
  'DELETE /ml/v4/models/:model_id': 'editor',
  'GET /v2/assets/:asset_id': 'viewer',
  'DELETE /v2/assets/:asset_id': 'editor',
  'POST /ml/v4/deployments': 'editor',
  'GET /ml/v4/deployments': 'viewer',
  'GET /ml/v4/deployments/:deployment_id': 'viewer',
  'DELETE /ml/v4/deployments/:deployment_id': 'editor',
  'POST /ml/v4/deployments/:deployment_id/predictions': 'scorer',
  'POST /ml/v4/deployment_jobs': 'editor',
  'GET /ml/v4/deployment_jobs': 'viewer',
  'GET /ml/v4/deployment_jobs/:job_id': 'viewer',
  'DELETE /ml/v4/deployment_jobs/:job_id': 'editor',
  // the web UI's files and the API docs, when asked for with a key
  'GET /': 'any',
  'GET /index.html': 'any',
  'GET /favicon.svg': 'any',
  'GET /favicon.ico': 'any',
  'GET /assets/:file': 'any',
};

/** What a route needs, or undefined when the table does not say (refused). The API docs (`/docs*`) need a key. */
export function needOf(method: string, route: string): Need | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  const need = ROUTE_ROLES[`${m} ${route}`];
  if (need) return need;
  if (m === 'GET' && (route === '/docs' || route.startsWith('/docs/'))) return 'any';
  return undefined;
}

const forbidden = (message: string) => ({ error: { code: 'FORBIDDEN', message } });

/**
 * The role check, one `onRequest` hook after the auth hook: a key whose role does not meet the route's need
 * gets 403 naming the role needed; a route with no declared need is refused to every key. Requests that
 * matched no route go on to the 404 answer.
 */
export function registerRoleCheck(app: FastifyInstance, open: (url: string) => boolean): void {
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url;
    const key = request.apiKey;
    if (!key || route === undefined || open(request.url.split('?')[0])) return;
    const need = needOf(request.method, route);
    if (!need) {
      request.log.warn({ method: request.method, route }, 'a route with no role declared was refused');
      return reply
        .status(403)
        .type('application/json')
        .send(forbidden(`${request.method} ${route} has no role declared: refused to every key`));
    }
    if (meets(key.role, need)) return;
    return reply
      .status(403)
      .type('application/json')
      .send(forbidden(`${request.method} ${route} needs role ${need} (this key is ${key.role})`));
  });
}

/** Refuses the request (403) unless its key meets `need`: for a check that depends on the body. */
export function requireRole(request: FastifyRequest, need: Role, what: string): void {
  const role = request.apiKey?.role;
  if (role && meets(role, need)) return;
  throw new ApiError(403, 'FORBIDDEN', `${what} needs role ${need} (this key is ${role ?? 'none'})`);
}
