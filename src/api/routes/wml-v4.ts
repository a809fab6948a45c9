import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  Asset,
  AssetParams,
  ErrorBody,
  errorResponses,
  NoContent,
  SoftwareSpecList,
  SoftwareSpecStates,
  Space,
  SpaceList,
  SpaceParams,
  V4ListQuery,
  V4Model,
  V4ModelInput,
  V4ModelList,
  V4ModelParams,
  V4Query,
} from '../../contract/index.js';
import type { KerasBatchService, ModelView } from '../../service/index.js';
import { ApiError } from '../errors.js';
import { modelFromContentFile } from '../model-archive.js';
import type { UploadSpace } from '../uploads.js';
import { originOf } from '../wml-client-views.js';
import { type PendingV4Model, SPACE_ID, softwareSpecs, space, v4Model } from '../wml-v4-views.js';
import { storeContent } from './store-content.js';
import { CONTENT_BODY, isReadable } from './wml-v3-client.js';

const tags = ['wml v4'];
/** How long an announced model waits for its content. */
const PENDING_MS = 60 * 60 * 1000;

/** A v4 list: `{total_count, limit, first, resources}`. */
export const listOf = <T>(href: string, resources: T[], limit?: number) => {
  const shown = limit ? resources.slice(0, limit) : resources;
  return {
    total_count: resources.length,
    limit: limit ?? resources.length,
    first: { href },
    resources: shown,
  };
};

/**
 * What IBM's v4 Python client (`ibm-watson-machine-learning`) calls around its deployments: the one space, the
 * software specifications, the two-step model store of `/ml/v4/models`, `/v2/assets/{id}` and an empty
 * `/ml/v4/functions`. Deployments and jobs: `./wml-v4-deployments.ts`.
 */
export function wmlV4Routes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  uploads: UploadSpace,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v2/spaces',
    {
      schema: {
        tags,
        summary: 'The one space',
        querystring: V4Query,
        response: { 200: SpaceList, ...errorResponses },
      },
    },
    async (req) => listOf('/v2/spaces', [space(originOf(req))]),
  );
  app.get(
    '/v2/spaces/:space_id',
    {
      schema: {
        tags,
        params: SpaceParams,
        querystring: V4Query,
        response: { 200: Space, ...errorResponses },
      },
    },
    async (req) => {
      if (req.params.space_id !== SPACE_ID)
        throw new ApiError(
          404,
          'REPO_NOT_FOUND',
          `space "${req.params.space_id}" not found (the one space is ${SPACE_ID})`,
        );
      return space(originOf(req));
    },
  );
  app.get(
    '/v2/software_specifications',
    {
      schema: {
        tags,
        summary: 'The software specifications a Keras model may name (all scored by keras-batch)',
        querystring: V4ListQuery,
        response: { 200: SoftwareSpecList, ...errorResponses },
      },
    },
    async (req) => {
      const resources = softwareSpecs(req.query.name);
      return { total_results: resources.length, resources };
    },
  );
  app.get(
    '/ml/v4/list/software_specifications',
    {
      schema: {
        tags,
        summary: "The software specifications' support states",
        querystring: V4ListQuery,
        response: { 200: SoftwareSpecStates, ...errorResponses },
      },
    },
    async (req) => {
      const results = softwareSpecs(req.query.name).map((s) => ({
        id: s.metadata.asset_id,
        name: s.metadata.name,
        state: 'supported',
        replacement: '',
      }));
      return { total_results: results.length, results };
    },
  );
  app.get(
    '/ml/v4/functions',
    {
      schema: {
        tags,
        summary: 'Python functions: none (keras-batch serves Keras models)',
        querystring: V4Query,
        response: { 200: V4ModelList, ...errorResponses },
      },
    },
    async () => listOf('/ml/v4/functions', []),
  );
  v4ModelRoutes(app, service, uploads);
}

function v4ModelRoutes(fastify: FastifyInstance, service: KerasBatchService, uploads: UploadSpace): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const pending = new Map<string, PendingV4Model & { until: number }>();
  /** The type each stored model was announced with (WML shows it back), while this process runs. */
  const types = new Map<string, string>();
  const pendingModel = (id: string) => {
    const t = Date.now();
    for (const [k, p] of pending) if (p.until < t) pending.delete(k);
    return pending.get(id);
  };
  const view = (m: PendingV4Model | ModelView) => v4Model(m, types.get(m.id));
  const show = async (id: string) => view(pendingModel(id) ?? (await service.getModel(id)));

  app.post(
    '/ml/v4/models',
    {
      schema: {
        tags,
        summary:
          'Announce a model (name, type, software spec); PUT its content to /ml/v4/models/{id}/content',
        querystring: V4Query,
        body: V4ModelInput,
        response: { 201: V4Model, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.type && !/keras|tensorflow/i.test(b.type))
        throw new ApiError(
          422,
          'VALIDATION_FAILED',
          `body.type: "${b.type}" is not served here (tensorflow or keras)`,
        );
      const model: PendingV4Model = {
        id: randomUUID(),
        name: b.name,
        description: b.description ?? '',
        type: b.type ?? 'tensorflow_2.7',
        software_spec: b.software_spec ?? {},
        created_at: new Date().toISOString(),
      };
      if (pending.size > 10_000) pendingModel('');
      pending.set(model.id, { ...model, until: Date.now() + PENDING_MS });
      return reply.status(201).send(view(model));
    },
  );

  app.put(
    '/ml/v4/models/:model_id/content',
    {
      config: { rawBody: true, openapiBody: CONTENT_BODY },
      schema: {
        tags,
        summary: 'Upload the model: a tar.gz, tar or zip holding one .h5/.hdf5/.keras file, or the file',
        params: V4ModelParams,
        querystring: Type.Object(
          { content_format: Type.Optional(Type.String({ maxLength: 40 })), ...V4Query.properties },
          { additionalProperties: true },
        ),
        consumes: ['application/octet-stream', 'application/gzip', 'application/zip'],
        response: {
          201: Type.Object({ attachment_id: Type.String(), content_format: Type.String() }),
          ...errorResponses,
          503: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const body = req.body;
      if (!isReadable(body)) throw new ApiError(400, 'VALIDATION_FAILED', NO_CONTENT);
      if (Number(req.headers['content-length'] ?? 0) > uploads.maxBytes) {
        void reply.header('connection', 'close');
        throw uploads.tooLarge('the model content');
      }
      const model: ModelView = await uploads.run(reply, async (temp) => {
        const content = await uploads.toFile(body, temp, 'the model content');
        // An empty body fits the schema (any bytes) but holds no model: unusable, 422.
        if (content.size === 0)
          throw new ApiError(422, 'VALIDATION_FAILED', 'body: the model file is empty (send it as the body)');
        const file = await modelFromContentFile(content.path, { space: uploads, temp });
        const announced = pendingModel(req.params.model_id);
        const stored = await storeContent(service, req.params.model_id, file, announced);
        if (announced) {
          pending.delete(announced.id);
          types.set(announced.id, announced.type);
        }
        return stored;
      });
      return reply
        .status(201)
        .send({ attachment_id: model.versions?.[0]?.id ?? model.id, content_format: 'native' });
    },
  );

  modelReadRoutes(app, service, show, view);
  const remove = async (id: string) => {
    if (!pending.delete(id)) await service.deleteModel(id);
    types.delete(id);
  };
  app.delete(
    '/ml/v4/models/:model_id',
    {
      schema: {
        tags,
        params: V4ModelParams,
        querystring: V4Query,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await remove(req.params.model_id);
      return reply.status(204).send();
    },
  );

  assetRoutes(app, show, remove);
}

/** Reading models: one (pending or stored), or the list (`?name`, `?limit`). */
function modelReadRoutes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  show: (id: string) => Promise<V4Model>,
  view: (m: ModelView) => V4Model,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/ml/v4/models/:model_id',
    {
      schema: {
        tags,
        params: V4ModelParams,
        querystring: V4Query,
        response: { 200: V4Model, ...errorResponses },
      },
    },
    async (req) => show(req.params.model_id),
  );
  app.get(
    '/ml/v4/models',
    { schema: { tags, querystring: V4ListQuery, response: { 200: V4ModelList, ...errorResponses } } },
    async (req) => {
      const resources = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await service.listModels({ limit: 1000, offset });
        for (const m of page.items) resources.push(view(await service.getModel(m.id)));
        if (offset + 1000 >= page.total) break;
      }
      const named = req.query.name ? resources.filter((r) => r.metadata.name === req.query.name) : resources;
      return listOf('/ml/v4/models', named, req.query.limit);
    },
  );
}

/** `/v2/assets/{id}`: a model as the v4 client reads assets (its `repository.delete` deletes here). */
function assetRoutes(
  fastify: FastifyInstance,
  show: (id: string) => Promise<V4Model>,
  remove: (id: string) => Promise<void>,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v2/assets/:asset_id',
    {
      schema: {
        tags,
        summary: 'A model as an asset',
        params: AssetParams,
        querystring: V4Query,
        response: { 200: Asset, ...errorResponses },
      },
    },
    async (req) => {
      const { metadata: m, entity } = await show(req.params.asset_id);
      return {
        metadata: {
          asset_id: m.id,
          asset_type: 'wml_model',
          name: m.name,
          space_id: SPACE_ID,
          created_at: m.created_at,
          usage: { last_updated_at: m.modified_at },
        },
        entity: { wml_model: { type: entity.type } },
        href: `/v2/assets/${m.id}?space_id=${SPACE_ID}`,
      };
    },
  );
  app.delete(
    '/v2/assets/:asset_id',
    {
      schema: {
        tags,
        summary: 'Delete a model (as an asset)',
        params: AssetParams,
        querystring: V4Query,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await remove(req.params.asset_id);
      return reply.status(204).send();
    },
  );
}

const NO_CONTENT = 'body: the model file is missing (send it as the body)';
