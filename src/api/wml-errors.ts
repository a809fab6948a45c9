import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The routes IBM's WML clients call, whose error bodies also carry WML's fields. */
export const isWmlRoute = (url: string): boolean => /^\/(v2|v3|v4|ml|icp4d-api)\//.test(url);

/**
 * Adds WML's error fields to our error body on the WML routes: `{"error": {code, message}}` becomes
 * `{"error": {...}, "errors": [{code, message}], "trace": <request id>}`, so the clients that read `errors`
 * (and print `trace`) get them, and ours still read `error`.
 */
export function wmlErrorBody(payload: string, trace: string): string {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  if (!body || typeof body !== 'object' || !('error' in body)) return payload;
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  if (!error || typeof error.code !== 'string') return payload;
  return JSON.stringify({ ...body, errors: [{ code: error.code, message: error.message }], trace });
}

/** Registers {@link wmlErrorBody} for every 4xx/5xx JSON answer of a WML route. */
export function registerWmlErrors(app: FastifyInstance): void {
  app.addHook('onSend', async (req: FastifyRequest, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string' || !isWmlRoute(req.url)) return payload;
    return wmlErrorBody(payload, String(req.id));
  });
}
