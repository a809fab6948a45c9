import { tmpdir } from 'node:os';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { ErrorBody } from '../contract/index.js';
import type { KerasBatchService } from '../service/index.js';
import { VERSION } from '../util/version.js';
import { registerAudit } from './audit.js';
import { createAuthHook } from './auth.js';
import { clientErrorHandler, errorHandler } from './errors.js';
import { registerJsonBodyParser } from './json-body.js';
import { methodCheck } from './methods.js';
import { createMetrics } from './metrics.js';
import { collectMultipartBodies, finishDocument } from './openapi-doc.js';
import { registerRoleCheck } from './roles.js';
import { v1BrowseRoutes } from './routes/v1-browse.js';
import { v1ConnectionRoutes } from './routes/v1-connections.js';
import { v1DeploymentRoutes } from './routes/v1-deployments.js';
import { v1JobExtraRoutes } from './routes/v1-job-extras.js';
import { v1JobRoutes } from './routes/v1-jobs.js';
import { v1KeyRoutes } from './routes/v1-keys.js';
import { v1ModelRoutes } from './routes/v1-models.js';
import { v3Routes } from './routes/v3.js';
import { IDENTITY_PATHS, wmlIdentityRoutes } from './routes/wml-identity.js';
import { wmlV3ClientRoutes } from './routes/wml-v3-client.js';
import { wmlV4Routes } from './routes/wml-v4.js';
import { wmlV4DeploymentRoutes } from './routes/wml-v4-deployments.js';
import { UploadSpace } from './uploads.js';
import { createValidatorCompiler } from './validation.js';
import { isWebAsset, webRoutes } from './web-static.js';
import { registerWmlErrors } from './wml-errors.js';

/** Options of {@link buildApp}. */
export interface AppOptions {
  service: KerasBatchService;
  logger: Logger;
  /** Largest model upload, in bytes. Default 512 MiB. */
  maxUploadBytes?: number;
  /** Folder uploads are streamed to (`<data dir>/uploads` for `serve`). Default `keras-batch-uploads` in the OS temp folder. */
  uploadDir?: string;
  /** Largest JSON body (online scoring), in bytes. Default 16 MiB. */
  bodyLimit?: number;
  /** Serve `/docs` and `/openapi.json` without an API key. Default false (only `/health` is open). */
  publicDocs?: boolean;
  /** Serve https with this PEM certificate (chain) and private key (`serve --tls-cert/--tls-key`). */
  tls?: { cert: Buffer; key: Buffer };
  /** Most milliseconds to receive a whole request, headers and body (a slowly dribbled upload is cut). Default 300 s. */
  requestTimeoutMs?: number;
  /** Most milliseconds to receive a request's headers. Default 30 s. */
  headersTimeoutMs?: number;
}

/** Defaults of {@link AppOptions}. */
export const APP_DEFAULTS = {
  maxUploadBytes: 512 * 1024 * 1024,
  bodyLimit: 16 * 1024 * 1024,
  requestTimeoutMs: 300_000,
  headersTimeoutMs: 30_000,
} as const;

/**
 * The request and headers timeouts, in ms (headers within the request's). Node checks both every 30 s at most
 * (its connectionsCheckingInterval): a slow request is cut within that.
 */
function timeoutsOf(options: AppOptions): { request: number; headers: number } {
  const request = options.requestTimeoutMs ?? APP_DEFAULTS.requestTimeoutMs;
  return { request, headers: Math.min(options.headersTimeoutMs ?? APP_DEFAULTS.headersTimeoutMs, request) };
}

/** The routes that take no API key: `/health`, the web UI, the token routes (they check their own), the docs when public. */
const openRoute = (url: string, publicDocs: boolean): boolean =>
  url === '/health' ||
  IDENTITY_PATHS.includes(url) ||
  isWebAsset(url) ||
  (publicDocs && (url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/')));

/**
 * The REST API: WML v3-compatible routes, `/api/v1`, `/health`, `/metrics`, `/openapi.json` and `/docs`.
 * Every route but `/health`, the web UI's files and the WML token routes needs an API key (or a token standing
 * for one), and each route a role (`./roles.ts`); writes are audited (`./audit.ts`). Tested in-process with
 * `app.inject`.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { service, logger } = options;
  const maxUploadBytes = options.maxUploadBytes ?? APP_DEFAULTS.maxUploadBytes;
  const uploads = new UploadSpace(options.uploadDir ?? join(tmpdir(), 'keras-batch-uploads'), maxUploadBytes);
  const timeouts = timeoutsOf(options);
  const app = Fastify({
    ...(options.tls
      ? { https: { cert: options.tls.cert, key: options.tls.key, maxHeaderSize: 64 * 1024 } }
      : {}),
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? APP_DEFAULTS.bodyLimit,
    requestTimeout: timeouts.request,
    ajv: { customOptions: { removeAdditional: false } },
    // Far above any documented path parameter's maxLength (200), so a longer one is a 400 from validation.
    routerOptions: { maxParamLength: 8192 },
    // Room for every documented query string (a 2,048-character key is up to 24 KiB percent-encoded).
    http: { maxHeaderSize: 64 * 1024 },
    clientErrorHandler,
  });
  app.server.headersTimeout = timeouts.headers;
  app.setValidatorCompiler(createValidatorCompiler());
  app.removeContentTypeParser('application/json');
  registerJsonBodyParser(app);
  app.setErrorHandler(errorHandler(logger));
  registerWmlErrors(app);
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  app.addHook('onResponse', async (req, reply) => {
    const entry = {
      method: req.method,
      route: req.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 400) logger.info(entry, 'request');
    else logger.debug(entry, 'request');
  });

  await app.register(multipart, {
    limits: { fileSize: maxUploadBytes, files: 2, fields: 10, fieldSize: 1024 * 1024, parts: 12 },
  });

  const multipartBodies = collectMultipartBodies(app);
  const allowedMethods = methodCheck(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'keras-batch',
        version: VERSION,
        description:
          'Deploy Keras models and score them in batch or online. WML v3-compatible routes under /v3, our own under /api/v1.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? finishDocument(document.openapiObject, multipartBodies)
        : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const open = (url: string) => openRoute(url, Boolean(options.publicDocs));
  app.addHook('onRequest', createAuthHook(service.keys, open, service.tokens));
  app.addHook('onRequest', allowedMethods);
  registerRoleCheck(app, open);
  registerAudit(app, service.keys);

  const metrics = createMetrics(service);
  const observe = metrics.observeOnline;

  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        security: [],
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } },
        },
      },
    },
    async () => ({ status: 'ok', database: service.database.dialect }),
  );
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['system'],
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  resourceRoutes(app, service, observe, uploads);
  webRoutes(app);
  return app;
}

/** The API's resources: ours (`/api/v1`), and WML's v3 and v4 routes for IBM's clients. */
function resourceRoutes(
  app: FastifyInstance,
  service: KerasBatchService,
  observe: Parameters<typeof v3Routes>[2],
  uploads: UploadSpace,
): void {
  v1ModelRoutes(app, service, uploads);
  v1ConnectionRoutes(app, service);
  v1BrowseRoutes(app, service);
  v1JobExtraRoutes(app, service);
  v1DeploymentRoutes(app, service, observe);
  v1JobRoutes(app, service);
  v1KeyRoutes(app, service);
  v3Routes(app, service, observe, uploads);
  wmlIdentityRoutes(app, service);
  wmlV3ClientRoutes(app, service, uploads);
  wmlV4Routes(app, service, uploads);
  wmlV4DeploymentRoutes(app, service, observe);
}
