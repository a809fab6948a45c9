import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DeploymentParams,
  ErrorBody,
  errorResponses,
  InstanceParams,
  ModelParams,
  NoContent,
  WmlDeployment,
  WmlDeploymentInput,
  WmlListOf,
  WmlModel,
} from '../../contract/index.js';
import type { ConnectionView, DeploymentView, KerasBatchService, PlaceInput } from '../../service/index.js';
import { ApiError } from '../errors.js';
import { modelFile, multipartBody, readUpload } from '../multipart.js';
import { requireRole } from '../roles.js';
import type { TempFiles, UploadSpace } from '../uploads.js';
import { wmlDeployment, wmlModel } from '../wml-views.js';
import { freeName } from './free-name.js';
import { onlineSchema, replyScored } from './online.js';
import { placeOf } from './v3-places.js';

const FILES = {
  model: 'the model file saved with Keras save() (.h5, .hdf5, .keras)',
  architecture: 'model.to_json() for a weights-only .h5',
};
const FIELDS = {
  name: 'model name',
  description: 'description',
  author: 'author name',
  meta: 'JSON metadata {"name","description","author": {"name"} | string} (instead of the separate fields)',
};
const tags = ['wml v3'];
const base = '/v3/wml_instances/:instance_id/published_models';

/** WML v3-compatible routes: published models (multipart upload), deployments (the seed's payload), online scoring. */
export function v3Routes(
  app: FastifyInstance,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
  uploads: UploadSpace,
): void {
  v3ModelRoutes(app, service, uploads);
  v3DeploymentRoutes(app, service, observe);
}

/** Published models: store (multipart upload), list, show, delete. */
function v3ModelRoutes(fastify: FastifyInstance, service: KerasBatchService, uploads: UploadSpace): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Store a model (multipart upload of the file with its metadata)',
        params: InstanceParams,
        consumes: ['multipart/form-data'],
        response: { 201: WmlModel, ...errorResponses, 503: ErrorBody },
      },
      config: { openapiBody: multipartBody(FILES, FIELDS, ['model']) },
    },
    async (req, reply) => {
      const { model } = await uploads.run(reply, async (temp) => {
        const input = await newModelOf(req, { space: uploads, temp });
        const name = await freeName((n) => service.models.exists(n), input.name, 'models');
        return service.createModel({ ...input, name });
      });
      return reply.status(201).send(wmlModel(await service.getModel(model.id), req.params.instance_id, 0));
    },
  );

  app.get(
    base,
    { schema: { tags, params: InstanceParams, response: { 200: WmlListOf(WmlModel), ...errorResponses } } },
    async (req) => {
      const resources = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await service.listModels({ limit: 1000, offset });
        for (const m of page.items) {
          const full = await service.getModel(m.id);
          const deps = await service.listDeployments({ model: m.id, limit: 1 });
          resources.push(wmlModel(full, req.params.instance_id, deps.total));
        }
        if (offset + 1000 >= page.total) break;
      }
      return { count: resources.length, resources };
    },
  );

  app.get(
    `${base}/:published_model_id`,
    { schema: { tags, params: ModelParams, response: { 200: WmlModel, ...errorResponses } } },
    async (req) => {
      const model = await service.getModel(req.params.published_model_id);
      const deps = await service.listDeployments({ model: model.id, limit: 1 });
      return wmlModel(model, req.params.instance_id, deps.total);
    },
  );

  app.delete(
    `${base}/:published_model_id`,
    { schema: { tags, params: ModelParams, response: { 204: NoContent, ...errorResponses } } },
    async (req, reply) => {
      await service.deleteModel(req.params.published_model_id);
      return reply.status(204).send();
    },
  );
}

/** The model a v3 upload stores: the file, and its metadata from the separate fields or one `meta` JSON field. */
async function newModelOf(req: FastifyRequest, where: { space: UploadSpace; temp: TempFiles }) {
  const upload = await readUpload(req, { files: Object.keys(FILES), fields: Object.keys(FIELDS) }, where);
  let meta: { name?: unknown; description?: unknown; author?: unknown } = {};
  if (upload.fields.meta !== undefined) {
    try {
      meta = JSON.parse(upload.fields.meta);
    } catch {
      throw new ApiError(422, 'VALIDATION_FAILED', 'body: field "meta" is not valid JSON');
    }
    if (!meta || typeof meta !== 'object' || Array.isArray(meta))
      throw new ApiError(422, 'VALIDATION_FAILED', 'body: field "meta" must be a JSON object');
  }
  const pick = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const author =
    meta.author && typeof meta.author === 'object' && 'name' in meta.author
      ? pick(meta.author.name)
      : pick(meta.author);
  const file = modelFile(upload, ['model']);
  const architecture = upload.files.get('architecture');
  return {
    name: upload.fields.name ?? pick(meta.name) ?? file.filename.replace(/\.(h5|hdf5|keras)$/i, ''),
    description: upload.fields.description ?? pick(meta.description),
    author: upload.fields.author ?? author,
    file: { name: file.filename, path: file.path },
    architecture: architecture ? { path: architecture.path } : undefined,
  };
}

/** A model's deployments: create (the seed's payload), list, show, delete, score online. */
function v3DeploymentRoutes(
  fastify: FastifyInstance,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const connectionsOf = async (d: DeploymentView) => {
    const map = new Map<string, ConnectionView>();
    for (const p of [d.source, d.target])
      if (p) map.set(p.connection_id, await service.getConnection(p.connection_id));
    return map;
  };
  const deploymentOfModel = async (modelId: string, deploymentId: string) => {
    const d = await service.getDeployment(deploymentId);
    const model = await service.getModel(modelId);
    if (d.model_id !== model.id)
      throw new ApiError(
        404,
        'REPO_NOT_FOUND',
        `deployment "${deploymentId}" not found for model "${modelId}"`,
      );
    return { d, model };
  };

  app.post(
    `${base}/:published_model_id/deployments`,
    {
      schema: {
        tags,
        summary: "Create a deployment; a batch deployment (the seed's payload) starts scoring at once",
        params: ModelParams,
        body: WmlDeploymentInput,
        response: { 201: WmlDeployment, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const places = placesOf(body);
      if ([places.source, places.target].some((p) => p && typeof p.connection !== 'string'))
        requireRole(
          req,
          'admin',
          'a deployment with inline connection keys or a local path (a new connection)',
        );
      const model = await service.getModel(req.params.published_model_id);
      // Inline connections are stored with the deployment in one transaction: a refused one leaves nothing.
      const d = await service.createDeployment({
        name: await freeName((n) => service.deployments.nameTaken(n), body.name, 'deployments'),
        description: body.description,
        type: body.type,
        model: model.id,
        ...places,
        options: body.options,
      });
      return reply
        .status(201)
        .send(wmlDeployment(d, req.params.instance_id, model.name, await connectionsOf(d)));
    },
  );

  app.get(
    `${base}/:published_model_id/deployments`,
    { schema: { tags, params: ModelParams, response: { 200: WmlListOf(WmlDeployment), ...errorResponses } } },
    async (req) => {
      const model = await service.getModel(req.params.published_model_id);
      const resources = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await service.listDeployments({ model: model.id, limit: 1000, offset });
        for (const d of page.items)
          resources.push(wmlDeployment(d, req.params.instance_id, model.name, await connectionsOf(d)));
        if (offset + 1000 >= page.total) break;
      }
      return { count: resources.length, resources };
    },
  );

  app.get(
    `${base}/:published_model_id/deployments/:deployment_id`,
    { schema: { tags, params: DeploymentParams, response: { 200: WmlDeployment, ...errorResponses } } },
    async (req) => {
      const p = req.params;
      const { d, model } = await deploymentOfModel(p.published_model_id, p.deployment_id);
      return wmlDeployment(d, p.instance_id, model.name, await connectionsOf(d));
    },
  );

  app.delete(
    `${base}/:published_model_id/deployments/:deployment_id`,
    { schema: { tags, params: DeploymentParams, response: { 204: NoContent, ...errorResponses } } },
    async (req, reply) => {
      const { d } = await deploymentOfModel(req.params.published_model_id, req.params.deployment_id);
      await deleteV3Deployment(service, d);
      return reply.status(204).send();
    },
  );

  app.post(
    `${base}/:published_model_id/deployments/:deployment_id/online`,
    { schema: onlineSchema(DeploymentParams, tags) },
    async (req, reply) => {
      const started = performance.now();
      const { d } = await deploymentOfModel(req.params.published_model_id, req.params.deployment_id);
      return replyScored(reply, service, observe, started, d.id, req.body.values);
    },
  );
}

/** Deletes a deployment and the connections its v3 payload made inline (unless another deployment uses them). */
export async function deleteV3Deployment(service: KerasBatchService, d: DeploymentView): Promise<void> {
  await service.deleteDeployment(d.id);
  for (const place of [d.source, d.target]) {
    if (!place) continue;
    const c = await service.getConnection(place.connection_id).catch(() => undefined);
    if (c?.name.startsWith('v3-')) await service.deleteConnection(c.id).catch(() => undefined);
  }
}

/** The source and target of a v3 payload: a batch deployment needs both, an online one takes neither. */
export function placesOf(body: WmlDeploymentInput): { source?: PlaceInput; target?: PlaceInput } {
  if (body.type !== 'batch') {
    if (body.input || body.output)
      throw new ApiError(422, 'VALIDATION_FAILED', 'body: an online deployment takes no "input" or "output"');
    return {};
  }
  if (!body.input)
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      'body: missing field "input" (a batch deployment needs a source)',
    );
  if (!body.output)
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      'body: missing field "output" (a batch deployment needs a target)',
    );
  return {
    source: placeOf(body.input, body.input.source, 'source', body.name),
    target: placeOf(body.output, body.output.target, 'target', body.name),
  };
}
