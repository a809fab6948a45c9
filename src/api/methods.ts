import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Undeclared methods: a request whose path is a route but whose method is not gets 405 with `Allow` listing
 * the route's methods (HEAD comes with every GET); a path that is no route gets 404. Both are answered before
 * the body is read, so an odd method (`QUERY`, `TRACE`) gets the same answer with or without a body.
 * Call before the routes are added; returns the `onRequest` hook (added after the API key check).
 */
export function methodCheck(app: FastifyInstance) {
  const routes = new Map<string, { pattern: RegExp; params: number; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    let entry = routes.get(route.url);
    if (!entry) {
      const segments = route.url.split('/');
      const pattern = segments
        .map((s) =>
          s.startsWith(':') ? '[^/]+' : s === '*' ? '.*' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/');
      const params = segments.filter((s) => s.startsWith(':') || s === '*').length;
      entry = { pattern: new RegExp(`^${pattern}/?$`), params, methods: new Set() };
      routes.set(route.url, entry);
    }
    for (const m of [route.method].flat()) entry.methods.add(m.toUpperCase());
  });
  /** The methods of the most specific routes matching `path` (`/connections/test` before `/connections/:id`). */
  const methodsOf = (path: string) => {
    const matching = [...routes.values()].filter((r) => r.pattern.test(path));
    const fewest = Math.min(...matching.map((r) => r.params));
    return new Set(matching.filter((r) => r.params === fewest).flatMap((r) => [...r.methods]));
  };
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.is404) return;
    const path = req.url.split('?')[0];
    const allowed = methodsOf(path);
    if (allowed.size === 0)
      return reply
        .status(404)
        .type('application/json')
        .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}` } });
    const allow = [...allowed].sort().join(', ');
    return reply
      .status(405)
      .header('allow', allow)
      .type('application/json')
      .send({
        error: {
          code: 'METHOD_NOT_ALLOWED',
          message: `${req.method} is not allowed on ${path} (allowed: ${allow})`,
        },
      });
  };
}
