/**
 * The UI shell and its static files load without an API key (no 401 on every page load for the icon), and carry a
 * Content-Security-Policy; every answer forbids framing and MIME sniffing. Everything under /api, /v3, /metrics
 * and /openapi.json keeps needing a key (test/api/auth-validation.test.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_CSP } from '../../src/api/web-static.js';
import { type Harness, startHarness } from '../api/api-harness.js';
import { repoRoot } from '../helpers/shared.js';

const built = existsSync(join(repoRoot, 'dist', 'web', 'favicon.svg'));

describe('security headers and open static files', () => {
  let h: Harness;
  beforeAll(async () => {
    if (!built && process.env.CI) throw new Error('the web UI is not built: run `npm run build` first');
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it.skipIf(!built)(
    'the UI shell and icon load without a key; the shell has a CSP that allows no inline script',
    async () => {
      for (const url of ['/', '/index.html', '/favicon.svg']) {
        const res = await h.app.inject({ method: 'GET', url });
        expect([url, res.statusCode]).toEqual([url, 200]);
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
      const shell = await h.app.inject({ method: 'GET', url: '/' });
      expect(shell.headers['content-security-policy']).toBe(UI_CSP);
      expect(UI_CSP).toContain("script-src 'self'");
      expect(UI_CSP).not.toContain('unsafe-inline');
      expect(UI_CSP).toContain("frame-ancestors 'none'");
      expect(shell.body).toContain('href="/favicon.svg"');
      const ico = await h.app.inject({ method: 'GET', url: '/favicon.ico' });
      expect(ico.statusCode).toBe(301);
      expect(ico.headers.location).toBe('/favicon.svg');
    },
  );

  it('API answers, errors included, forbid framing and sniffing', async () => {
    for (const res of [
      await h.call({ method: 'GET', url: '/api/v1/models' }),
      await h.app.inject({ method: 'GET', url: '/api/v1/models' }),
      await h.call({ method: 'GET', url: '/api/v1/nothing-here' }),
    ]) {
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(401);
  });
});
