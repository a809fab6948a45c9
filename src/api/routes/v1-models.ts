import type { FastifyInstance } from 'fastify';
import type { KerasBatchService } from '../../service/index.js';
import { modelFile, multipartBody, readUpload } from '../multipart.js';
import { errorResponses, idParams, modelSchema, pageOf, pageQuery, versionSchema } from '../schemas.js';

const FILES = {
  file: 'the model file (.h5, .hdf5, .keras)',
  architecture: 'model.to_json() for a weights-only .h5',
};
const FIELDS = { name: 'model name (unique)', description: 'description', author: 'author' };

/** `/api/v1/models` and their versions. */
export function v1ModelRoutes(app: FastifyInstance, service: KerasBatchService): void {
  const tags = ['models'];
  app.get(
    '/api/v1/models',
    { schema: { tags, querystring: pageQuery, response: { 200: pageOf(modelSchema), ...errorResponses } } },
    async (req) => service.listModels(req.query as { limit: number; offset: number }),
  );

  app.post(
    '/api/v1/models',
    {
      schema: {
        tags,
        summary: 'Upload a model (its first version); the file must load and compile',
        consumes: ['multipart/form-data'],
        response: {
          201: { type: 'object', properties: { model: modelSchema, version: versionSchema } },
          ...errorResponses,
        },
      },
      config: { openapiBody: multipartBody(FILES, FIELDS) },
    },
    async (req, reply) => {
      const upload = await readUpload(req, { files: Object.keys(FILES), fields: Object.keys(FIELDS) });
      const file = modelFile(upload, ['file']);
      const created = await service.createModel({
        name: upload.fields.name ?? '',
        description: upload.fields.description,
        author: upload.fields.author,
        file: { name: file.filename, bytes: file.bytes },
        architecture: upload.files.get('architecture')?.bytes,
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/v1/models/:id',
    { schema: { tags, params: idParams, response: { 200: modelSchema, ...errorResponses } } },
    async (req) => service.getModel((req.params as { id: string }).id),
  );

  app.delete(
    '/api/v1/models/:id',
    { schema: { tags, params: idParams, response: { 204: { type: 'null' }, ...errorResponses } } },
    async (req, reply) => {
      await service.deleteModel((req.params as { id: string }).id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/models/:id/versions',
    {
      schema: {
        tags,
        params: idParams,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: versionSchema } } },
          ...errorResponses,
        },
      },
    },
    async (req) => ({ items: await service.listVersions((req.params as { id: string }).id) }),
  );

  app.post(
    '/api/v1/models/:id/versions',
    {
      schema: {
        tags,
        summary: 'Add a version to a model',
        params: idParams,
        consumes: ['multipart/form-data'],
        response: { 201: versionSchema, ...errorResponses },
      },
      config: { openapiBody: multipartBody(FILES, { author: FIELDS.author }) },
    },
    async (req, reply) => {
      const upload = await readUpload(req, { files: Object.keys(FILES), fields: ['author'] });
      const file = modelFile(upload, ['file']);
      const version = await service.addVersion((req.params as { id: string }).id, {
        author: upload.fields.author,
        file: { name: file.filename, bytes: file.bytes },
        architecture: upload.files.get('architecture')?.bytes,
      });
      return reply.status(201).send(version);
    },
  );

  const versionParams = {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1 }, version: { type: 'string', minLength: 1 } },
    required: ['id', 'version'],
    additionalProperties: false,
  };
  app.get(
    '/api/v1/models/:id/versions/:version',
    { schema: { tags, params: versionParams, response: { 200: versionSchema, ...errorResponses } } },
    async (req) => {
      const { id, version } = req.params as { id: string; version: string };
      return service.getVersion(id, version);
    },
  );

  app.get(
    '/api/v1/models/:id/versions/:version/file',
    {
      schema: {
        tags,
        summary:
          "A version's model file as uploaded (`part=architecture`: its architecture JSON); queue workers download models here",
        params: versionParams,
        querystring: {
          type: 'object',
          properties: { part: { type: 'string', enum: ['model', 'architecture'], default: 'model' } },
          additionalProperties: false,
        },
        produces: ['application/octet-stream'],
        response: { 200: { type: 'string', format: 'binary' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id, version } = req.params as { id: string; version: string };
      const { part } = req.query as { part: 'model' | 'architecture' };
      const file = await service.versionFile(id, version, part);
      const name = file.fileName.replace(/[^A-Za-z0-9._-]/g, '_') || 'model';
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
    },
  );
}
