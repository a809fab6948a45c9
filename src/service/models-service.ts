import { createReadStream } from 'node:fs';
import type { Logger } from 'pino';
import { newId, now, type Repository, RepositoryError } from '../repository/index.js';
import { type BucketDriver, putObjectStream } from '../storage/index.js';
import { artifactKey } from './artifacts.js';
import type { EngineCache } from './engine-cache.js';
import { ServiceError } from './errors.js';
import type { FileInput, NewModelInput, PageInput } from './inputs.js';
import type { ModelFileSource } from './model-files.js';
import { type ValidatedModel, validateModel } from './model-metadata.js';
import { page, text } from './paging.js';
import { type ModelVersionView, type ModelView, modelView, type Page, versionView } from './views.js';

/** A stored model version's file (and architecture JSON), as uploaded. */
export interface StoredModelFile {
  file: Uint8Array;
  architecture?: Uint8Array;
  fileName: string;
  version: { id: string; sha256: string; fileName: string };
}

/**
 * The model repository: models and their versions, each validated (loaded and compiled once, with the
 * server's inference threads) before it is stored; the compiled engine goes straight to the cache.
 */
export class ModelsService {
  constructor(
    private readonly repo: Repository,
    private readonly artifacts: BucketDriver,
    private readonly files: ModelFileSource,
    private readonly engines: EngineCache,
    private readonly logger: Logger,
    private readonly threads?: number,
  ) {}

  /** Creates a model with its first version from a file that must load and compile. */
  async create(input: NewModelInput): Promise<{ model: ModelView; version: ModelVersionView }> {
    const name = text(input.name);
    if (!name) throw new ServiceError('SERVICE_INVALID', 'a model needs a name');
    if (await this.repo.models.findModel(name))
      throw new RepositoryError(
        'REPO_CONFLICT',
        `a model named ${JSON.stringify(name)} already exists: choose another name, or upload the file as a new version of it`,
      );
    const validated = await this.validate(input);
    const stamp = now();
    const model = await this.repo.models
      .insertModel({
        id: input.id ?? newId(),
        name,
        description: input.description ?? '',
        author: input.author ?? null,
        created_at: stamp,
        updated_at: stamp,
        latest_version: 0,
      })
      .catch(async (error) => {
        await validated.engine.dispose();
        throw error;
      });
    const version = await this.storeVersion(model.id, input, validated);
    return { model: modelView(await this.repo.models.getModel(model.id)), version };
  }

  /** Adds a version when a model of this name exists, else creates the model (`models add` of the CLI). */
  async createOrAddVersion(
    input: NewModelInput,
  ): Promise<ModelVersionView | { model: ModelView; version: ModelVersionView }> {
    const existing = await this.repo.models.findModel(text(input.name));
    if (existing) return this.addVersion(existing.id, input);
    return this.create(input);
  }

  /** Adds a version to a model (by id or name). */
  async addVersion(model: string, input: Omit<NewModelInput, 'name'>): Promise<ModelVersionView> {
    const row = await this.repo.models.getModel(model);
    return this.storeVersion(row.id, input, await this.validate(input));
  }

  /** Whether a model of this id or name exists. */
  async exists(idOrName: string): Promise<boolean> {
    return (await this.repo.models.findModel(idOrName)) !== undefined;
  }

  private validate(input: Omit<NewModelInput, 'name'>): Promise<ValidatedModel> {
    return validateModel(input.file, input.file.name, input.architecture, this.threads);
  }

  private async storeVersion(
    modelId: string,
    input: Omit<NewModelInput, 'name'>,
    v: ValidatedModel,
  ): Promise<ModelVersionView> {
    const id = newId();
    const key = artifactKey(modelId, id, input.file.name);
    const archKey = input.architecture ? artifactKey(modelId, id, 'architecture.json') : null;
    try {
      await putFile(this.artifacts, key, input.file);
      if (archKey && input.architecture) await putFile(this.artifacts, archKey, input.architecture);
    } catch (error) {
      await v.engine.dispose();
      throw error;
    }
    const row = await this.repo.models.addVersion({
      id,
      model_id: modelId,
      framework: 'keras',
      keras_version: v.keras_version,
      format: v.format,
      inputs: JSON.stringify(v.inputs),
      outputs: JSON.stringify(v.outputs),
      layers: JSON.stringify(v.layers),
      params: v.params,
      size: v.size,
      sha256: v.sha256,
      file_name: input.file.name,
      artifact_key: key,
      architecture_key: archKey,
      author: input.author ?? null,
      created_at: now(),
    });
    this.engines.put({ description: v.description, engine: v.engine, sha256: v.sha256 });
    this.logger.info({ model: modelId, version: row.version, sha256: v.sha256 }, 'model version stored');
    return versionView(row);
  }

  async list(p?: PageInput): Promise<Page<ModelView>> {
    const q = page(p);
    const { items, total } = await this.repo.models.listModels(q);
    return { items: items.map((m) => modelView(m)), total, ...q };
  }

  async get(idOrName: string): Promise<ModelView> {
    const row = await this.repo.models.getModel(idOrName);
    return modelView(row, await this.repo.models.listVersions(row.id));
  }

  async listVersions(model: string): Promise<ModelVersionView[]> {
    const row = await this.repo.models.getModel(model);
    return (await this.repo.models.listVersions(row.id)).map(versionView);
  }

  /** A version by id or number (`3`), or the latest when `version` is undefined. */
  async getVersion(model: string, version?: string): Promise<ModelVersionView> {
    const row = await this.repo.models.getModel(model);
    if (version !== undefined && !/^\d+$/.test(version)) {
      const v = await this.repo.models.getVersion(version);
      if (v.model_id !== row.id)
        throw new ServiceError('SERVICE_INVALID', `version ${version} is not of model ${model}`);
      return versionView(v);
    }
    return versionView(
      await this.repo.models.getVersionOf(row.id, version === undefined ? undefined : Number(version)),
    );
  }

  /** The latest version's file of a stored model (for `score --model <id|name>`). */
  async artifact(model: string): Promise<StoredModelFile> {
    const row = await this.repo.models.getModel(model);
    const v = await this.repo.models.getVersionOf(row.id);
    const files = await this.files.get(v);
    return { ...files, version: { id: v.id, sha256: v.sha256, fileName: v.file_name } };
  }

  /** A version's stored file (`part: 'architecture'`: its architecture JSON), as uploaded. */
  async versionFile(
    model: string,
    version: string,
    part: 'model' | 'architecture' = 'model',
  ): Promise<{ bytes: Uint8Array; fileName: string }> {
    const v = await this.getVersion(model, version);
    const row = await this.repo.models.getVersion(v.id);
    if (part === 'architecture' && !row.architecture_key)
      throw new RepositoryError('REPO_NOT_FOUND', `version ${v.id} has no architecture JSON`);
    const files = await this.files.get(row);
    if (part === 'model') return { bytes: files.file, fileName: row.file_name };
    return { bytes: files.architecture ?? new Uint8Array(), fileName: 'architecture.json' };
  }

  /** Renames a model (names are unique) or changes its description. */
  async update(idOrName: string, input: { name?: string; description?: string }): Promise<ModelView> {
    const row = await this.repo.models.getModel(idOrName);
    const patch: { name?: string; description?: string } = {};
    if (input.name !== undefined) {
      patch.name = text(input.name);
      if (!patch.name) throw new ServiceError('SERVICE_INVALID', 'a model needs a name');
    }
    if (input.description !== undefined) patch.description = input.description;
    await this.repo.models.updateModel(row.id, patch);
    return this.get(row.id);
  }

  /** The deployments (id, name) that use a model. */
  async usersOf(idOrName: string): Promise<{ id: string; name: string }[]> {
    return this.repo.models.usersOf((await this.repo.models.getModel(idOrName)).id);
  }

  async delete(idOrName: string): Promise<void> {
    const row = await this.repo.models.getModel(idOrName);
    const versions = await this.repo.models.deleteModel(row.id);
    for (const v of versions) {
      await this.engines.evict(v.sha256);
      await this.artifacts.delete(v.artifact_key).catch(() => undefined);
      if (v.architecture_key) await this.artifacts.delete(v.architecture_key).catch(() => undefined);
    }
  }
}

/** Stores a file given as bytes, or streamed from its path (never held whole). */
async function putFile(artifacts: BucketDriver, key: string, file: FileInput): Promise<void> {
  if ('bytes' in file) await artifacts.put(key, file.bytes);
  else await putObjectStream(artifacts, key, createReadStream(file.path));
}
