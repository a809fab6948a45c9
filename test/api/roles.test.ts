/**
 * Roles, table-driven over the OpenAPI document: every documented route × every role gets 403 exactly when
 * its role does not meet the route's need. A route without a declared role fails here (and is refused to every
 * key at run time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { meets, type Need, needOf, ROUTE_ROLES } from '../../src/api/roles.js';
import { IDENTITY_PATHS } from '../../src/api/routes/wml-identity.js';
import type { Role } from '../../src/service/index.js';
import { type Harness, startHarness } from './api-harness.js';

const ROLES: Role[] = ['admin', 'editor', 'viewer', 'scorer'];

/**
 * The policy, written independently of `ROUTE_ROLES`: keys and the audit log are the admin's, and so
 * are connections (stored keys, local folders) except reading them; browsing a connection's storage is an
 * editor's (to pick places); online scoring is a scorer's; reads are a viewer's, other writes an editor's.
 */
function policy(method: string, path: string): Need {
  if (path === '/api/v1/me') return 'any';
  if (path.startsWith('/api/v1/keys') || path === '/api/v1/audit') return 'admin';
  if (path.endsWith('/online') || path.endsWith('/predictions')) return 'scorer';
  if (/^\/api\/v1\/connections\/:id\/(buckets|objects|object)$/.test(path)) return 'editor';
  if (path.startsWith('/api/v1/connections') && method !== 'GET') return 'admin';
  return method === 'GET' ? 'viewer' : 'editor';
}

interface Operation {
  method: string;
  /** Fastify's pattern (`:id`), as the role table keys it. */
  route: string;
  url: string;
  open: boolean;
}

function operations(doc: { paths: Record<string, Record<string, { security?: unknown[] }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      ops.push({
        method: method.toUpperCase(),
        route: path.replace(/\{(\w+)\}/g, ':$1'),
        url: path.replace(/\{(\w+)\}/g, (_m, name: string) => `no-such-${name}`),
        open: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  return ops;
}

describe('roles: every route × every role', () => {
  let h: Harness;
  const keys = new Map<Role, string>();
  let ops: Operation[] = [];
  beforeAll(async () => {
    h = await startHarness();
    for (const role of ROLES) keys.set(role, (await h.service.keys.create(`as-${role}`, role)).key);
    const doc = await h.call({ method: 'GET', url: '/openapi.json' });
    ops = operations(doc.json());
  });
  afterAll(() => h.close());

  it('the OpenAPI document lists the routes, each with a declared role that follows the policy', () => {
    expect(ops.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const op of ops) {
      if (op.open) continue;
      const need = needOf(op.method, op.route);
      if (!need) problems.push(`${op.method} ${op.route}: no role declared in src/api/roles.ts`);
      else if (need !== policy(op.method, op.route))
        problems.push(
          `${op.method} ${op.route}: declared ${need}, the policy says ${policy(op.method, op.route)}`,
        );
    }
    expect(problems).toEqual([]);
    // Every entry of the table names a route that exists (documented, or one of the hidden ones).
    const hidden = ['GET /openapi.json', 'GET /', 'GET /index.html', 'GET /favicon.svg', 'GET /favicon.ico'];
    const known = new Set([...ops.map((o) => `${o.method} ${o.route}`), ...hidden, 'GET /assets/:file']);
    expect(Object.keys(ROUTE_ROLES).filter((k) => !known.has(k))).toEqual([]);
  });

  it('each route answers 403 exactly to the roles that do not meet its need, naming the role', async () => {
    const wrong: string[] = [];
    let refused = 0;
    for (const op of ops) {
      for (const role of ROLES) {
        const res = await h.app.inject({
          method: op.method as 'GET',
          url: op.url,
          headers: { authorization: `Bearer ${keys.get(role)}` },
        });
        const need = op.open ? 'any' : (needOf(op.method, op.route) ?? 'admin');
        const allowed = op.open || meets(role, need);
        if (allowed && (res.statusCode === 403 || res.statusCode === 401))
          wrong.push(`${op.method} ${op.url} as ${role}: ${res.statusCode} ${res.body}`);
        if (!allowed) {
          refused++;
          const expected = {
            error: {
              code: 'FORBIDDEN',
              message: `${op.method} ${op.route} needs role ${need} (this key is ${role})`,
            },
          };
          // the WML routes add WML's `errors` and `trace` next to ours
          if (
            res.statusCode !== 403 ||
            JSON.stringify({ error: res.json().error }) !== JSON.stringify(expected)
          )
            wrong.push(`${op.method} ${op.url} as ${role}: ${res.statusCode} ${res.body}, expected 403`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(refused).toBeGreaterThan(60);
  });

  it('without a key every route but the open ones is 401; open ones answer', async () => {
    for (const op of ops) {
      const res = await h.app.inject({ method: op.method as 'GET', url: op.url });
      // the token routes are outside the gate but check the key they are given (HTTP Basic) themselves
      if (op.open && IDENTITY_PATHS.includes(op.route))
        expect(res.statusCode, `${op.method} ${op.url}`).toBe(
          op.route.includes('/version') ? 200 : op.method === 'GET' ? 401 : 400,
        );
      else if (op.open) expect(res.statusCode, `${op.method} ${op.url}`).toBe(200);
      else expect(res.statusCode, `${op.method} ${op.url}`).toBe(401);
    }
  });

  it('the 403 is documented for every protected route', () => {
    return h.call({ method: 'GET', url: '/openapi.json' }).then((res) => {
      const doc = res.json() as { paths: Record<string, Record<string, { responses: object }>> };
      for (const op of ops.filter((o) => !o.open)) {
        const path = op.route.replace(/:(\w+)/g, '{$1}');
        expect(Object.keys(doc.paths[path][op.method.toLowerCase()].responses), op.route).toContain('403');
      }
    });
  });

  it('the docs, /openapi.json and the UI shell are open to every role; no key still gets 401', async () => {
    for (const url of ['/openapi.json', '/docs', '/docs/json']) {
      for (const role of ROLES) {
        const res = await h.app.inject({ url, headers: { authorization: `Bearer ${keys.get(role)}` } });
        expect(res.statusCode, `${url} as ${role}`).not.toBe(403);
        expect(res.statusCode, `${url} as ${role}`).toBeLessThan(400);
      }
      expect((await h.app.inject({ url })).statusCode).toBe(401);
    }
    const shell = await h.app.inject({
      url: '/',
      headers: { authorization: `Bearer ${keys.get('scorer')}` },
    });
    expect(shell.statusCode).not.toBe(403);
  });

  it('a v3 deployment with inline keys or a local path needs admin: an editor gets 403 and nothing is stored', async () => {
    const editor = { authorization: `Bearer ${keys.get('editor')}` };
    const before = (await h.service.listConnections({})).total;
    const payload = {
      name: 'd',
      type: 'batch',
      input: { type: 'local', source: { path: h.dir } },
      output: { type: 'local', target: { path: `${h.dir}/out` } },
    };
    const url = '/v3/wml_instances/i/published_models/m/deployments';
    const res = await h.app.inject({ method: 'POST', url, headers: editor, payload });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toEqual({
      code: 'FORBIDDEN',
      message:
        'a deployment with inline connection keys or a local path (a new connection) needs role admin (this key is editor)',
    });
    expect((await h.service.listConnections({})).total).toBe(before);
    // The same payload from an admin passes the role check (and meets the unknown model).
    const admin = await h.call({ method: 'POST', url, payload });
    expect(admin.statusCode).toBe(404);
  });
});

describe('a route with no declared role', () => {
  it('is refused to every key, admin included (fail closed)', async () => {
    const h = await startHarness();
    const app = await buildApp({
      service: h.service,
      logger: (await import('pino')).pino({ level: 'silent' }),
    });
    app.get('/api/v1/undeclared', async () => ({ ok: true }));
    const res = await app.inject({ url: '/api/v1/undeclared', headers: h.auth });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: 'GET /api/v1/undeclared has no role declared: refused to every key',
      },
    });
    expect(needOf('GET', '/api/v1/undeclared')).toBeUndefined();
    await app.close();
    await h.close();
  });
});
