import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashApiKey, type Repository } from '../repository/index.js';

/** How long a verified key is trusted without asking the database again (a deleted key stops within this). */
const CACHE_MS = 30_000;

/**
 * Bearer API key check for every route but the open ones. A missing, malformed or unknown key gets the same
 * 401 with no detail. Verified keys are cached briefly so online scoring does not pay a database lookup.
 */
export function createAuthHook(repo: Repository, open: (url: string) => boolean) {
  const cache = new Map<string, { id: string; until: number }>();
  const touched = new Map<string, number>();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0];
    if (open(url)) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{8,200})$/i.exec(header) : null;
    if (match) {
      const hash = hashApiKey(match[1]);
      const t = Date.now();
      const hit = cache.get(hash);
      if (hit && hit.until > t) return;
      const row = await repo.apiKeys.verify(match[1]);
      if (row) {
        if (cache.size > 1000) cache.clear();
        cache.set(hash, { id: row.id, until: t + CACHE_MS });
        if ((touched.get(row.id) ?? 0) + 60_000 < t) {
          touched.set(row.id, t);
          void repo.apiKeys.touch(row.id).catch(() => undefined);
        }
        return;
      }
    }
    return reply
      .status(401)
      .header('www-authenticate', 'Bearer')
      .type('application/json')
      .send({
        error: { code: 'UNAUTHORIZED', message: 'a valid API key is required (Authorization: Bearer <key>)' },
      });
  };
}
