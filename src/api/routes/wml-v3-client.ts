import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  ErrorBody,
  errorResponses,
  MlAssetContentOutput,
  MlAssetContentParams,
  MlAssetModel,
  MlAssetModelInput,
  MlAssetModelParams,
  NoContent,
  WmlInstance,
  WmlInstanceDeployment,
  WmlInstanceDeploymentInput,
  WmlInstanceDeploymentList,
  WmlInstanceDeploymentParams,
  WmlInstanceParams,
} from '../../contract/index.js';
import type { DeploymentView, KerasBatchService, ModelView } from '../../service/index.js';
import { ApiError } from '../errors.js';
import { modelFromContentFile, tarGzOf } from '../model-archive.js';
import { requireRole } from '../roles.js';
import type { UploadSpace } from '../uploads.js';
import {
  mlAssetModel,
  originOf,
  type PendingModel,
  wmlInstance,
  wmlInstanceDeployment,
} from '../wml-client-views.js';
import { freeName } from './free-name.js';
import { storeContent } from './store-content.js';
import { deleteV3Deployment, placesOf } from './v3.js';

const tags = ['wml v3 client'];
/** How long an announced model waits for its file. */
const PENDING_MS = 60 * 60 * 1000;

/**
 * What IBM's v3 Python client (`watson-machine-learning-client` 1.0.x) calls beyond the seed's REST flow: the
 * instance, the two-step model store of `/v3/ml_assets/models` (metadata, then the file) and the instance-wide
 * deployments (`deployable_asset_url`).
 */
/** The content upload's body as OpenAPI describes it: required, the bytes of one of the accepted types. */
export const CONTENT_BODY = {
  required: true,
  content: Object.fromEntries(
    ['application/octet-stream', 'application/gzip', 'application/zip'].map((type) => [
      type,
      { schema: { type: 'string', format: 'binary' } },
    ]),
  ),
};

export function wmlV3ClientRoutes(
  app: FastifyInstance,
  service: KerasBatchService,
  uploads: UploadSpace,
): void {
  app.get(
    '/v3/wml_instances/:instance_id',
    { schema: { tags, params: WmlInstanceParams, response: { 200: WmlInstance, ...errorResponses } } },
    async (req) => wmlInstance(originOf(req), (req.params as { instance_id: string }).instance_id),
  );
  const announced = mlAssetRoutes(app, service, uploads);
  mlAssetDownloadRoutes(app, service, announced);
  instanceDeploymentRoutes(app, service);
}

/** The ml_assets model routes; returns whether an id is a model announced and still waiting for its file. */
function mlAssetRoutes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  uploads: UploadSpace,
): (id: string) => boolean {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const pending = new Map<string, PendingModel & { until: number }>();
  const pendingModel = (id: string) => {
    const t = Date.now();
    for (const [k, p] of pending) if (p.until < t) pending.delete(k);
    return pending.get(id);
  };
  const base = '/v3/ml_assets/models';

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Announce a model (name, framework); PUT its file to entity.model_version.content_url',
        body: MlAssetModelInput,
        response: { 201: MlAssetModel, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const framework = b.framework ?? {};
      if (framework.name && !/keras|tensorflow/i.test(framework.name))
        throw new ApiError(
          422,
          'VALIDATION_FAILED',
          `body.framework.name: "${framework.name}" is not served here (keras or tensorflow)`,
        );
      const model: PendingModel = {
        id: randomUUID(),
        name: b.name,
        description: b.description ?? '',
        author: b.author?.name ?? '',
        framework: { name: framework.name ?? 'keras', version: framework.version ?? 'unknown' },
        created_at: new Date().toISOString(),
      };
      if (pending.size > 10_000) pendingModel('');
      pending.set(model.id, { ...model, until: Date.now() + PENDING_MS });
      return reply.status(201).send(mlAssetModel(originOf(req), model));
    },
  );

  app.put(
    `${base}/:model_id/versions/:version_id/content`,
    {
      config: { rawBody: true, openapiBody: CONTENT_BODY },
      schema: {
        tags,
        summary: 'Upload the model file: a tar.gz, tar or zip holding one .h5/.hdf5/.keras file, or the file',
        params: MlAssetContentParams,
        consumes: ['application/octet-stream', 'application/gzip', 'application/zip'],
        response: { 200: MlAssetContentOutput, ...errorResponses, 503: ErrorBody },
      },
    },
    async (req, reply) => {
      const body = req.body;
      if (!isReadable(body))
        throw new ApiError(400, 'VALIDATION_FAILED', 'body: the model file is missing (send it as the body)');
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > uploads.maxBytes) {
        void reply.header('connection', 'close');
        throw uploads.tooLarge('the model content');
      }
      const model = await uploads.run(reply, async (temp) => {
        const content = await uploads.toFile(body, temp, 'the model content');
        // An empty body fits the schema (any bytes) but holds no model: unusable, 422.
        if (content.size === 0)
          throw new ApiError(422, 'VALIDATION_FAILED', 'body: the model file is empty (send it as the body)');
        const file = await modelFromContentFile(content.path, { space: uploads, temp });
        const announced = pendingModel(req.params.model_id);
        const stored = await storeContent(service, req.params.model_id, file, announced);
        if (announced) pending.delete(announced.id);
        return stored;
      });
      const version = model.versions?.[0];
      const url = `${originOf(req)}${base}/${model.id}`;
      return {
        metadata: { guid: version?.id ?? model.id, url: `${url}/versions/${version?.id ?? model.id}` },
        entity: { model: { guid: model.id, url }, size: version?.size ?? 0, sha256: version?.sha256 ?? '' },
      };
    },
  );

  const show = async (origin: string, id: string) => {
    const announced = pendingModel(id);
    return mlAssetModel(origin, announced ?? (await service.getModel(id)));
  };
  app.get(
    `${base}/:model_id`,
    { schema: { tags, params: MlAssetModelParams, response: { 200: MlAssetModel, ...errorResponses } } },
    async (req) => show(originOf(req), req.params.model_id),
  );
  app.get(
    `${base}/:model_id/versions/:version_id`,
    { schema: { tags, params: MlAssetContentParams, response: { 200: MlAssetModel, ...errorResponses } } },
    async (req) => show(originOf(req), req.params.model_id),
  );

  app.delete(
    `${base}/:model_id`,
    { schema: { tags, params: MlAssetModelParams, response: { 204: NoContent, ...errorResponses } } },
    async (req, reply) => {
      if (!pending.delete(req.params.model_id)) await service.deleteModel(req.params.model_id);
      return reply.status(204).send();
    },
  );
  return (id) => pendingModel(id) !== undefined;
}

/** Downloads: a stored model's file in a tar.gz, as WML handed models back. */
function mlAssetDownloadRoutes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  announced: (id: string) => boolean,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v3/ml_assets/models';
  /** A version's file (default the latest) in a tar.gz; a pending model's version id is the model's own. */
  const download = async (id: string, version?: string) => {
    if (announced(id))
      throw new ApiError(
        409,
        'REPO_CONFLICT',
        `model ${JSON.stringify(id)} has no file yet: PUT it to ${base}/${id}/versions/${id}/content`,
      );
    const v = await service.getVersion(id, version === id ? undefined : version);
    const file = await service.versionFile(id, v.id);
    return tarGzOf(file.fileName.replace(/[^A-Za-z0-9._-]/g, '_') || 'model.h5', file.bytes);
  };
  const content = {
    tags,
    summary: "The model's latest file in a tar.gz, as WML handed models back",
    produces: ['application/gzip'],
    response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errorResponses },
  };
  app.get(
    `${base}/:model_id/content`,
    { schema: { ...content, params: MlAssetModelParams } },
    async (req, reply) => reply.type('application/gzip').send(await download(req.params.model_id)),
  );
  app.get(
    `${base}/:model_id/versions/:version_id/content`,
    { schema: { ...content, params: MlAssetContentParams } },
    async (req, reply) =>
      reply.type('application/gzip').send(await download(req.params.model_id, req.params.version_id)),
  );
}

/** The model a deployment payload names: by `deployable_asset_url`, `published_model.guid` or `model`. */
function modelRefOf(body: WmlInstanceDeploymentInput): string {
  if (body.deployable_asset_url) {
    const m = /\/(?:published_models|ml_assets\/models)\/([^/?#]+)/.exec(body.deployable_asset_url);
    if (!m)
      throw new ApiError(
        422,
        'VALIDATION_FAILED',
        'body.deployable_asset_url: not a model URL (…/published_models/{id} or …/v3/ml_assets/models/{id})',
      );
    return decodeURIComponent(m[1]);
  }
  const ref = body.published_model?.guid ?? body.model;
  if (!ref)
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      'body: missing field "deployable_asset_url" (the URL of the published model to deploy)',
    );
  return ref;
}

function instanceDeploymentRoutes(fastify: FastifyInstance, service: KerasBatchService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v3/wml_instances/:instance_id/deployments';
  const view = async (
    origin: string,
    instanceId: string,
    d: DeploymentView,
    models?: Map<string, ModelView>,
  ) => {
    let model = models?.get(d.model_id);
    if (!model) {
      model = await service.getModel(d.model_id);
      models?.set(d.model_id, model);
    }
    return wmlInstanceDeployment(origin, instanceId, d, model);
  };

  app.post(
    base,
    {
      schema: {
        tags,
        summary: "Deploy a published model: online, or batch with the seed's input/output payload",
        params: WmlInstanceParams,
        querystring: Type.Object({ sync: Type.Optional(Type.String()) }, { additionalProperties: true }),
        body: WmlInstanceDeploymentInput,
        response: { 201: WmlInstanceDeployment, 202: WmlInstanceDeployment, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const places = placesOf(b);
      if ([places.source, places.target].some((p) => p && typeof p.connection !== 'string'))
        requireRole(
          req,
          'admin',
          'a deployment with inline connection keys or a local path (a new connection)',
        );
      const model = await service.getModel(modelRefOf(b));
      const d = await service.createDeployment({
        name: await freeName((n) => service.deployments.nameTaken(n), b.name, 'deployments'),
        description: b.description,
        type: b.type,
        model: model.id,
        ...places,
        options: b.options,
      });
      // `?sync=false` (what IBM's client sends) answers 202 as WML did: the client's asynchronous create reads
      // only a 202, its synchronous one polls until the status is not DEPLOY_IN_PROGRESS (at once here).
      const status = req.query.sync === 'false' ? 202 : 201;
      return reply.status(status).send(await view(originOf(req), req.params.instance_id, d));
    },
  );

  app.get(
    base,
    {
      schema: {
        tags,
        params: WmlInstanceParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
          { additionalProperties: true },
        ),
        response: { 200: WmlInstanceDeploymentList, ...errorResponses },
      },
    },
    async (req) => {
      const origin = originOf(req);
      const models = new Map<string, ModelView>();
      const resources = [];
      const limit = req.query.limit ?? Number.POSITIVE_INFINITY;
      for (let offset = 0; resources.length < limit; offset += 1000) {
        const page = await service.listDeployments({ limit: 1000, offset });
        for (const d of page.items) resources.push(await view(origin, req.params.instance_id, d, models));
        if (offset + 1000 >= page.total) break;
      }
      const shown = resources.slice(0, limit);
      return { count: shown.length, resources: shown };
    },
  );

  app.get(
    `${base}/:deployment_id`,
    {
      schema: {
        tags,
        params: WmlInstanceDeploymentParams,
        response: { 200: WmlInstanceDeployment, ...errorResponses },
      },
    },
    async (req) =>
      view(originOf(req), req.params.instance_id, await service.getDeployment(req.params.deployment_id)),
  );

  app.delete(
    `${base}/:deployment_id`,
    {
      schema: { tags, params: WmlInstanceDeploymentParams, response: { 204: NoContent, ...errorResponses } },
    },
    async (req, reply) => {
      await deleteV3Deployment(service, await service.getDeployment(req.params.deployment_id));
      return reply.status(204).send();
    },
  );
}

export const isReadable = (body: unknown): body is Readable =>
  body instanceof Readable || (typeof body === 'object' && body !== null && 'pipe' in body);
