import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` puts the web UI (`vite build`): `dist/web`, from `src/api` and `dist/api` alike. */
export const WEB_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** The web UI's files are open (no API key): the UI asks for a key and sends it on every /api/v1 call. */
export const isWebAsset = (url: string) =>
  url === '/' ||
  url === '/index.html' ||
  url === '/favicon.svg' ||
  url === '/favicon.ico' ||
  /^\/assets\/[\w.-]+$/.test(url);

/**
 * The UI shell's Content-Security-Policy: its own scripts, styles and API only; no inline script, no framing,
 * no plug-ins. (The API's JSON answers get `X-Frame-Options` and `nosniff` from the app.)
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Serves the built web UI at `/` (index.html) and `/assets/*`, or a hint to build it. */
export function webRoutes(app: FastifyInstance, dir = WEB_DIR): void {
  const send = async (file: string, reply: import('fastify').FastifyReply, cache: string) => {
    try {
      const body = await readFile(join(dir, file));
      if (file.endsWith('.html')) reply.header('content-security-policy', UI_CSP);
      return reply
        .type(TYPES[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', cache)
        .send(body);
    } catch {
      return reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send(file === 'index.html' ? 'the web UI is not built: run `npm run build`\n' : `no file ${file}\n`);
    }
  };
  const index = { schema: { hide: true } };
  app.get('/', index, (_req, reply) => send('index.html', reply, 'no-cache'));
  app.get('/index.html', index, (_req, reply) => send('index.html', reply, 'no-cache'));
  app.get('/favicon.svg', index, (_req, reply) => send('favicon.svg', reply, 'public, max-age=86400'));
  app.get('/favicon.ico', index, (_req, reply) => reply.redirect('/favicon.svg', 301));
  app.get<{ Params: { file: string } }>('/assets/:file', index, (req, reply) => {
    const { file } = req.params;
    if (!/^[\w.-]+$/.test(file) || file.startsWith('.')) return reply.status(404).send();
    return send(join('assets', file), reply, 'public, max-age=31536000, immutable');
  });
}
