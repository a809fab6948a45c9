import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeysService } from '../service/index.js';
import { needOf } from './roles.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The ids a created resource's answer may carry: `id` (`/api/v1`), `metadata.guid` (v3), `model.id`. */
function createdId(payload: string): string | null {
  try {
    const body = JSON.parse(payload) as {
      id?: unknown;
      metadata?: { guid?: unknown };
      model?: { id?: unknown };
    };
    const id = body.id ?? body.metadata?.guid ?? body.model?.id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/** The id a request acted on: the most specific id of its path. */
function pathId(request: FastifyRequest): string | null {
  const p = (request.params ?? {}) as Record<string, unknown>;
  const id = p.deployment_id ?? p.published_model_id ?? p.id;
  return typeof id === 'string' ? id : null;
}

/**
 * The audit log: every write request (POST, PUT, PATCH, DELETE) that matched a route and passed the key check
 * is recorded before its answer leaves — who (key id, name, role), what (method, route pattern, target id),
 * when, and the outcome (the status), refusals (403) included. Not recorded: 401s (no key: anyone could flood
 * the log; they are in the request log) and online scoring that was allowed (a read of a model, at scoring
 * rates). Never a body, a query string or a secret. A failed audit write is logged; the answer still goes.
 */
export function registerAudit(app: FastifyInstance, keys: KeysService): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    if (!WRITES.has(request.method) || route === undefined || status === 401) return payload;
    if (needOf(request.method, route) === 'scorer' && status !== 403) return payload;
    const created =
      (status === 201 || status === 202) && typeof payload === 'string' && payload.length < 1_000_000
        ? createdId(payload)
        : null;
    const key = request.apiKey;
    try {
      await keys.record({
        key_id: key?.id ?? null,
        key_name: key?.name ?? null,
        role: key?.role ?? null,
        method: request.method,
        route,
        target_id: pathId(request) ?? created,
        status,
      });
    } catch (error) {
      request.log.error(
        { route, err: error instanceof Error ? error.name : 'Error' },
        'the audit log could not be written',
      );
    }
    return payload;
  });
}
