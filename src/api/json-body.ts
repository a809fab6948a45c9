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

/** Whether a request takes no body: not a POST/PUT/PATCH, or a route without a body schema. */
const bodyless = (req: FastifyRequest): boolean =>
  !['POST', 'PUT', 'PATCH'].includes(req.method) ||
  (req.routeOptions.schema?.body === undefined && !rawBodyRoute(req));

/** Whether `text` is JSON at all (parsed into a throw-away value: own keys only, nothing polluted). */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether the route reads its body as raw bytes (`config: { rawBody: true }`, e.g. a model file upload). */
const rawBodyRoute = (req: FastifyRequest): boolean =>
  Boolean((req.routeOptions.config as { rawBody?: boolean } | undefined)?.rawBody);

/**
 * Fastify's own JSON parser (prototype-poisoning checks included), behind two checks: a body nested deeper than
 * {@link MAX_JSON_DEPTH} is a 400 before it is parsed (10,000-deep arrays used to crash validation: 500), and an
 * empty body on a request that takes none (a DELETE, a POST without a body) is no body whatever its
 * Content-Type (IBM's WML clients send `Content-Type: application/json` with nothing). Any other content type
 * is raw bytes for the routes that ask for them (`config: { rawBody: true }`) and a 415 elsewhere.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'ignore');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text === '' && bodyless(req)) return done(null, undefined);
      if (jsonDepth(text) > MAX_JSON_DEPTH)
        return done(
          new ApiError(400, 'INVALID_JSON', `the JSON body is nested more than ${MAX_JSON_DEPTH} deep`),
        );
      return parse(req, text, (error, value) => {
        if (error && isJson(text))
          // Well-formed JSON refused for a `__proto__` or `constructor.prototype` key (prototype poisoning).
          return done(
            new ApiError(
              422,
              'FORBIDDEN_KEY',
              'the JSON body holds a "__proto__" or "constructor.prototype" key',
            ),
          );
        return done(error, value);
      });
    },
  );
  app.addContentTypeParser('*', (req: FastifyRequest, payload, done) => {
    // A raw-body route (a model upload) streams its body itself, to a file: it is never read whole here.
    if (rawBodyRoute(req)) return done(null, payload);
    const refuse = () => {
      const type = String(req.headers['content-type'] ?? '').split(';')[0];
      done(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `unsupported content type "${type}"`));
    };
    let answered = false;
    payload.on('data', (chunk: Buffer) => {
      if (chunk.length === 0 || answered) return;
      answered = true;
      refuse();
    });
    payload.on('end', () => {
      if (answered) return;
      answered = true;
      if (bodyless(req)) done(null, undefined);
      else refuse();
    });
    payload.on('error', (error) => {
      if (answered) return;
      answered = true;
      done(error);
    });
  });
}
