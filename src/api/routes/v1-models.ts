import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  ErrorBody,
  errorResponses,
  FileBytes,
  FileQuery,
  IdParams,
  Model,
  ModelCreated,
  ModelDeleteQuery,
  ModelPatch,
  NoContent,
  PageOf,
  PageQuery,
  Version,
  VersionList,
  VersionParams,
} from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';
import { modelFile, multipartBody, readUpload, type Upload } from '../multipart.js';
import type { UploadSpace } from '../uploads.js';

const FILES = {
  file: 'the model file (.h5, .hdf5, .keras)',
  architecture: 'model.to_json() for a weights-only .h5',
};
const FIELDS = { name: 'model name (unique)', description: 'description', author: 'author' };
const tags = ['models'];

/** `/api/v1/models` and their versions. */
export function v1ModelRoutes(app: FastifyInstance, service: KerasBatchService, uploads: UploadSpace): void {
  modelRoutes(app, service, uploads);
  versionRoutes(app, service, uploads);
}

/** The architecture JSON of an upload, as the service takes it. */
const architectureOf = (upload: Upload) => {
  const a = upload.files.get('architecture');
  return a ? { path: a.path } : undefined;
};

/** List, upload (the first version), show and delete models. */
function modelRoutes(fastify: FastifyInstance, service: KerasBatchService, uploads: UploadSpace): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/models',
    { schema: { tags, querystring: PageQuery, response: { 200: PageOf(Model), ...errorResponses } } },
    async (req) => service.listModels(req.query),
  );

  app.post(
    '/api/v1/models',
    {
      schema: {
        tags,
        summary: 'Upload a model (its first version); the file must load and compile',
        consumes: ['multipart/form-data'],
        response: { 201: ModelCreated, ...errorResponses, 503: ErrorBody },
      },
      config: { openapiBody: multipartBody(FILES, FIELDS, ['file', 'name']) },
    },
    async (req, reply) => {
      const created = await uploads.run(reply, async (temp) => {
        const upload = await readUpload(
          req,
          { files: Object.keys(FILES), fields: Object.keys(FIELDS), required: ['file', 'name'] },
          { space: uploads, temp },
        );
        const file = modelFile(upload, ['file']);
        return service.createModel({
          name: upload.fields.name ?? '',
          description: upload.fields.description,
          author: upload.fields.author,
          file: { name: file.filename, path: file.path },
          architecture: architectureOf(upload),
        });
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/v1/models/:id',
    { schema: { tags, params: IdParams, response: { 200: Model, ...errorResponses } } },
    async (req) => service.getModel(req.params.id),
  );

  app.patch(
    '/api/v1/models/:id',
    {
      schema: {
        tags,
        summary: 'Rename a model (names are unique) or change its description',
        params: IdParams,
        body: ModelPatch,
        response: { 200: Model, ...errorResponses },
      },
    },
    async (req) => service.updateModel(req.params.id, req.body),
  );

  app.delete(
    '/api/v1/models/:id',
    {
      schema: {
        tags,
        summary:
          'Delete a model and its versions; refused (409, naming them) while deployments use it, unless `deployments=delete` (they go too, with their job records)',
        params: IdParams,
        querystring: ModelDeleteQuery,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      await service.deleteModel(req.params.id, { deployments: req.query.deployments });
      return reply.status(204).send();
    },
  );
}

/** A model's versions: list, add, show, and download a version's file. */
function versionRoutes(fastify: FastifyInstance, service: KerasBatchService, uploads: UploadSpace): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/models/:id/versions',
    { schema: { tags, params: IdParams, response: { 200: VersionList, ...errorResponses } } },
    async (req) => ({ items: await service.listVersions(req.params.id) }),
  );

  app.post(
    '/api/v1/models/:id/versions',
    {
      schema: {
        tags,
        summary: 'Add a version to a model',
        params: IdParams,
        consumes: ['multipart/form-data'],
        response: { 201: Version, ...errorResponses, 503: ErrorBody },
      },
      config: { openapiBody: multipartBody(FILES, { author: FIELDS.author }, ['file']) },
    },
    async (req, reply) => {
      const version = await uploads.run(reply, async (temp) => {
        const upload = await readUpload(
          req,
          { files: Object.keys(FILES), fields: ['author'], required: ['file'] },
          { space: uploads, temp },
        );
        const file = modelFile(upload, ['file']);
        return service.addVersion(req.params.id, {
          author: upload.fields.author,
          file: { name: file.filename, path: file.path },
          architecture: architectureOf(upload),
        });
      });
      return reply.status(201).send(version);
    },
  );

  app.get(
    '/api/v1/models/:id/versions/:version',
    { schema: { tags, params: VersionParams, response: { 200: Version, ...errorResponses } } },
    async (req) => service.getVersion(req.params.id, req.params.version),
  );

  app.get(
    '/api/v1/models/:id/versions/:version/file',
    {
      schema: {
        tags,
        summary:
          "A version's model file as uploaded (`part=architecture`: its architecture JSON); queue workers download models here",
        params: VersionParams,
        querystring: FileQuery,
        produces: ['application/octet-stream'],
        response: { 200: FileBytes, ...errorResponses },
      },
    },
    async (req, reply) => {
      const file = await service.versionFile(req.params.id, req.params.version, req.query.part);
      const name = file.fileName.replace(/[^A-Za-z0-9._-]/g, '_') || 'model';
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength));
    },
  );
}
