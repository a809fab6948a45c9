import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyIdentity, KeysService, TokensService } from '../service/index.js';
import { resolveCredential } from './credentials.js';

/**
 * How long a verified key is trusted without asking the database again (a deleted key stops within this; a
 * role is read with the key, so it is as fresh).
 */
const CACHE_MS = 30_000;

/**
 * API key check (a key or a token standing for one, see {@link resolveCredential}) for every route but the open ones. A missing, malformed or unknown key gets the same
 * 401 with no detail. Verified keys are cached briefly so online scoring does not pay a database lookup.
 * The key's identity (id, name, role) is left on `request.apiKey` for the role check and the audit log.
 */
export function createAuthHook(keys: KeysService, open: (url: string) => boolean, tokens: TokensService) {
  const cache = new Map<string, { key: KeyIdentity; until: number }>();
  const touched = new Map<string, number>();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0];
    if (open(url)) return;
    const header = request.headers.authorization;
    if (typeof header === 'string' && header.length <= 2100) {
      const hash = createHash('sha256').update(header, 'utf8').digest('hex');
      const t = Date.now();
      const hit = cache.get(hash);
      if (hit && hit.until > t) {
        request.apiKey = hit.key;
        return;
      }
      const key = await resolveCredential(header, keys, tokens);
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
