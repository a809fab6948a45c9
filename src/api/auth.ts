import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyIdentity, KeysService } from '../service/index.js';

/**
 * How long a verified key is trusted without asking the database again (a deleted key stops within this; a
 * role is read with the key, so it is as fresh).
 */
const CACHE_MS = 30_000;

/**
 * Bearer API key check for every route but the open ones. A missing, malformed or unknown key gets the same
 * 401 with no detail. Verified keys are cached briefly so online scoring does not pay a database lookup.
 * The key's identity (id, name, role) is left on `request.apiKey` for the role check and the audit log.
 */
export function createAuthHook(keys: KeysService, open: (url: string) => boolean) {
  const cache = new Map<string, { key: KeyIdentity; until: number }>();
  const touched = new Map<string, number>();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0];
    if (open(url)) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{8,200})$/i.exec(header) : null;
    if (match) {
      const hash = createHash('sha256').update(match[1], 'utf8').digest('hex');
      const t = Date.now();
      const hit = cache.get(hash);
      if (hit && hit.until > t) {
        request.apiKey = hit.key;
        return;
      }
      const key = await keys.verify(match[1]);
      if (key) {
        if (cache.size > 1000) cache.clear();
        cache.set(hash, { key, until: t + CACHE_MS });
        request.apiKey = key;
        if ((touched.get(key.id) ?? 0) + 60_000 < t) {
          touched.set(key.id, t);
          void keys.touch(key.id).catch(() => undefined);
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
