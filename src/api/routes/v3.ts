import type { FastifyInstance } from 'fastify';
import type { ConnectionView, DeploymentView, KerasBatchService, PlaceInput } from '../../service/index.js';
import { ApiError } from '../errors.js';
import { modelFile, multipartBody, readUpload } from '../multipart.js';
import { errorResponses } from '../schemas.js';
import { wmlDeployment, wmlModel } from '../wml-views.js';
import { onlineRoute } from './online.js';

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

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const instanceParams = {
  type: 'object',
  properties: { instance_id: id },
  required: ['instance_id'],
  additionalProperties: false,
} as const;
const modelParams = {
  type: 'object',
  properties: { instance_id: id, published_model_id: id },
  required: ['instance_id', 'published_model_id'],
  additionalProperties: false,
} as const;
const deploymentParams = {
  type: 'object',
  properties: { instance_id: id, published_model_id: id, deployment_id: id },
  required: ['instance_id', 'published_model_id', 'deployment_id'],
  additionalProperties: false,
} as const;

const wmlConnection = {
  type: 'object',
  description: 'COS HMAC keys and endpoint (stored sealed, never returned), or {"id"} of a stored connection',
  properties: {
    access_key: { type: 'string', minLength: 1 },
    secret_key: { type: 'string', minLength: 1 },
    url: { type: 'string', minLength: 1 },
    id: { type: 'string', minLength: 1 },
  },
  additionalProperties: false,
} as const;
const wmlPlace = (kind: 'source' | 'target') =>
  ({
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['cloudobjectstorage', 'local'] },
      [kind]: {
        type: 'object',
        properties: {
          bucket: { type: 'string', minLength: 1 },
          prefix: { type: 'string' },
          path: { type: 'string', minLength: 1 },
        },
        additionalProperties: false,
      },
      connection: wmlConnection,
    },
    required: ['type', kind],
    additionalProperties: false,
  }) as const;
const wmlDeploymentInput = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    type: { type: 'string', enum: ['batch', 'online'] },
    input: wmlPlace('source'),
    output: wmlPlace('target'),
    options: {
      type: 'object',
      properties: {
        batch_size: { type: 'integer', minimum: 1, maximum: 65536 },
        max_failures: { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' },
        concurrency: { type: 'integer', minimum: 1, maximum: 256 },
      },
      additionalProperties: false,
    },
  },
  required: ['name', 'type'],
  additionalProperties: false,
} as const;
const wmlObject = { type: 'object', additionalProperties: true } as const;

type WmlPlace = {
  type: 'cloudobjectstorage' | 'local';
  source?: { bucket?: string; prefix?: string; path?: string };
  target?: { bucket?: string; prefix?: string; path?: string };
  connection?: { access_key?: string; secret_key?: string; url?: string; id?: string };
};

/** WML v3-compatible routes: published models (multipart upload), deployments (the seed's payload), online scoring. */
export function v3Routes(
  app: FastifyInstance,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
): void {
  const tags = ['wml v3'];
  const base = '/v3/wml_instances/:instance_id/published_models';

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
    base,
    {
      schema: {
        tags,
        summary: 'Store a model (multipart upload of the file with its metadata)',
        params: instanceParams,
        consumes: ['multipart/form-data'],
        response: { 201: wmlObject, ...errorResponses },
      },
      config: { openapiBody: multipartBody(FILES, FIELDS) },
    },
    async (req, reply) => {
      const { instance_id } = req.params as { instance_id: string };
      const upload = await readUpload(req, { files: Object.keys(FILES), fields: Object.keys(FIELDS) });
      let meta: { name?: unknown; description?: unknown; author?: unknown } = {};
      if (upload.fields.meta !== undefined) {
        try {
          meta = JSON.parse(upload.fields.meta) as typeof meta;
        } catch {
          throw new ApiError(400, 'VALIDATION_FAILED', 'body: field "meta" is not valid JSON');
        }
        if (!meta || typeof meta !== 'object' || Array.isArray(meta))
          throw new ApiError(400, 'VALIDATION_FAILED', 'body: field "meta" must be a JSON object');
      }
      const pick = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const author =
        meta.author && typeof meta.author === 'object'
          ? pick((meta.author as { name?: unknown }).name)
          : pick(meta.author);
      const file = modelFile(upload, ['model']);
      const name = upload.fields.name ?? pick(meta.name) ?? file.filename.replace(/\.(h5|hdf5|keras)$/i, '');
      const { model } = await service.createModel({
        name,
        description: upload.fields.description ?? pick(meta.description),
        author: upload.fields.author ?? author,
        file: { name: file.filename, bytes: file.bytes },
        architecture: upload.files.get('architecture')?.bytes,
      });
      return reply.status(201).send(wmlModel(await service.getModel(model.id), instance_id, 0));
    },
  );

  app.get(
    base,
    { schema: { tags, params: instanceParams, response: { 200: wmlObject, ...errorResponses } } },
    async (req) => {
      const { instance_id } = req.params as { instance_id: string };
      const resources = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await service.listModels({ limit: 1000, offset });
        for (const m of page.items) {
          const full = await service.getModel(m.id);
          const deps = await service.listDeployments({ model: m.id, limit: 1 });
          resources.push(wmlModel(full, instance_id, deps.total));
        }
        if (offset + 1000 >= page.total) break;
      }
      return { count: resources.length, resources };
    },
  );

  app.get(
    `${base}/:published_model_id`,
    { schema: { tags, params: modelParams, response: { 200: wmlObject, ...errorResponses } } },
    async (req) => {
      const { instance_id, published_model_id } = req.params as {
        instance_id: string;
        published_model_id: string;
      };
      const model = await service.getModel(published_model_id);
      const deps = await service.listDeployments({ model: model.id, limit: 1 });
      return wmlModel(model, instance_id, deps.total);
    },
  );

  app.delete(
    `${base}/:published_model_id`,
    { schema: { tags, params: modelParams, response: { 204: { type: 'null' }, ...errorResponses } } },
    async (req, reply) => {
      await service.deleteModel((req.params as { published_model_id: string }).published_model_id);
      return reply.status(204).send();
    },
  );

  app.post(
    `${base}/:published_model_id/deployments`,
    {
      schema: {
        tags,
        summary: "Create a deployment; a batch deployment (the seed's payload) starts scoring at once",
        params: modelParams,
        body: wmlDeploymentInput,
        response: { 201: wmlObject, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { instance_id, published_model_id } = req.params as {
        instance_id: string;
        published_model_id: string;
      };
      const body = req.body as {
        name: string;
        description?: string;
        type: 'batch' | 'online';
        input?: WmlPlace;
        output?: WmlPlace;
        options?: Record<string, unknown>;
      };
      const model = await service.getModel(published_model_id);
      let source: PlaceInput | undefined;
      let target: PlaceInput | undefined;
      if (body.type === 'batch') {
        if (!body.input)
          throw new ApiError(
            400,
            'VALIDATION_FAILED',
            'body: missing field "input" (a batch deployment needs a source)',
          );
        if (!body.output)
          throw new ApiError(
            400,
            'VALIDATION_FAILED',
            'body: missing field "output" (a batch deployment needs a target)',
          );
        source = placeOf(body.input, 'source', body.name);
        target = placeOf(body.output, 'target', body.name);
      } else if (body.input || body.output) {
        throw new ApiError(
          400,
          'VALIDATION_FAILED',
          'body: an online deployment takes no "input" or "output"',
        );
      }
      // Inline connections are stored with the deployment in one transaction: a refused one leaves nothing.
      const d = await service.createDeployment({
        name: body.name,
        description: body.description,
        type: body.type,
        model: model.id,
        source,
        target,
        options: body.options,
      });
      return reply.status(201).send(wmlDeployment(d, instance_id, model.name, await connectionsOf(d)));
    },
  );

  app.get(
    `${base}/:published_model_id/deployments`,
    { schema: { tags, params: modelParams, response: { 200: wmlObject, ...errorResponses } } },
    async (req) => {
      const { instance_id, published_model_id } = req.params as {
        instance_id: string;
        published_model_id: string;
      };
      const model = await service.getModel(published_model_id);
      const resources = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await service.listDeployments({ model: model.id, limit: 1000, offset });
        for (const d of page.items)
          resources.push(wmlDeployment(d, instance_id, model.name, await connectionsOf(d)));
        if (offset + 1000 >= page.total) break;
      }
      return { count: resources.length, resources };
    },
  );

  app.get(
    `${base}/:published_model_id/deployments/:deployment_id`,
    { schema: { tags, params: deploymentParams, response: { 200: wmlObject, ...errorResponses } } },
    async (req) => {
      const p = req.params as { instance_id: string; published_model_id: string; deployment_id: string };
      const { d, model } = await deploymentOfModel(p.published_model_id, p.deployment_id);
      return wmlDeployment(d, p.instance_id, model.name, await connectionsOf(d));
    },
  );

  app.delete(
    `${base}/:published_model_id/deployments/:deployment_id`,
    { schema: { tags, params: deploymentParams, response: { 204: { type: 'null' }, ...errorResponses } } },
    async (req, reply) => {
      const p = req.params as { published_model_id: string; deployment_id: string };
      const { d } = await deploymentOfModel(p.published_model_id, p.deployment_id);
      await service.deleteDeployment(d.id);
      // Connections made inline by a v3 payload belong to it: delete those no other deployment uses.
      for (const place of [d.source, d.target]) {
        if (!place) continue;
        const c = await service.getConnection(place.connection_id).catch(() => undefined);
        if (c?.name.startsWith('v3-')) await service.deleteConnection(c.id).catch(() => undefined);
      }
      return reply.status(204).send();
    },
  );

  onlineRoute(
    app,
    service,
    `${base}/:published_model_id/deployments/:deployment_id/online`,
    deploymentParams,
    tags,
    observe,
    async (p) => {
      const { d } = await deploymentOfModel(p.published_model_id, p.deployment_id);
      return d.id;
    },
  );
}

/** A v3 input/output block → a place: a stored connection, or a new one when the block carries keys or a path. */
function placeOf(block: WmlPlace, kind: 'source' | 'target', name: string): PlaceInput {
  const where = block[kind] ?? {};
  const field = `body.${kind === 'source' ? 'input' : 'output'}`;
  const suffix = `${kind}-${Math.random().toString(36).slice(2, 10)}`;
  if (block.type === 'local') {
    if (!where.path)
      throw new ApiError(400, 'VALIDATION_FAILED', `${field}.${kind}: missing field "path" (a local folder)`);
    if (block.connection)
      throw new ApiError(400, 'VALIDATION_FAILED', `${field}: a local folder takes no "connection"`);
    return { connection: { type: 'local', path: where.path, name: `v3-${name}-${suffix}` } };
  }
  if (!where.bucket) throw new ApiError(400, 'VALIDATION_FAILED', `${field}.${kind}: missing field "bucket"`);
  if (where.path)
    throw new ApiError(400, 'VALIDATION_FAILED', `${field}.${kind}: "path" is for "type": "local"`);
  const conn = block.connection;
  if (!conn) throw new ApiError(400, 'VALIDATION_FAILED', `${field}: missing field "connection"`);
  if (conn.id) {
    if (conn.access_key || conn.secret_key || conn.url)
      throw new ApiError(400, 'VALIDATION_FAILED', `${field}.connection: give "id" or keys, not both`);
    return { connection: conn.id, bucket: where.bucket, prefix: where.prefix };
  }
  if (!conn.access_key || !conn.secret_key || !conn.url)
    throw new ApiError(
      400,
      'VALIDATION_FAILED',
      `${field}.connection: needs "access_key", "secret_key" and "url"`,
    );
  return {
    connection: {
      type: 's3',
      endpoint: conn.url,
      access_key: conn.access_key,
      secret_key: conn.secret_key,
      name: `v3-${name}-${suffix}`,
    },
    bucket: where.bucket,
    prefix: where.prefix,
  };
}
