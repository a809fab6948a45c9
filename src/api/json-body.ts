import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** Deepest nesting a JSON body may have: far above any real tensor's rank (an image batch is 4 deep). */
export const MAX_JSON_DEPTH = 64;

/** The deepest `[`/`{` nesting of JSON text, counted outside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/**
 * Fastify's own JSON parser (prototype-poisoning checks included), behind two checks: a body nested deeper than
 * {@link MAX_JSON_DEPTH} is a 400 before it is parsed (10,000-deep arrays used to crash validation: 500), and an
 * empty body on a DELETE is no body (IBM's WML clients send `Content-Type: application/json` with nothing).
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'ignore');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text === '' && req.method === 'DELETE') return done(null, undefined);
      if (jsonDepth(text) > MAX_JSON_DEPTH)
        return done(
          new ApiError(400, 'INVALID_JSON', `the JSON body is nested more than ${MAX_JSON_DEPTH} deep`),
        );
      return parse(req, text, done);
    },
  );
}
