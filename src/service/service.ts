import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseFailureLimit } from '../batch/index.js';
import {
  FINAL_STATUSES,
  isPostgresUrl,
  type JobStatus,
  loadSecretKey,
  newId,
  now,
  openRepository,
  type Repository,
  RepositoryError,
  SecretBox,
} from '../repository/index.js';
import { FIELDS, recordValues, shapeRecords } from '../scoring/index.js';
import type { BucketDriver } from '../storage/index.js';
import { artifactKey, openArtifactStore } from './artifacts.js';
import { checkPlace } from './connection-drivers.js';
import { connectionRow } from './connection-row.js';
import { type DistributedRunnerOptions, distributedJobRunner } from './distributed-runner.js';
import { EngineCache } from './engine-cache.js';
import { ServiceError } from './errors.js';
import type {
  NewConnectionInput,
  NewDeploymentInput,
  NewModelInput,
  PageInput,
  PlaceInput,
} from './inputs.js';
import { JobExecutor } from './job-executor.js';
import { localJobRunner } from './job-runner.js';
import { valuesFromJson } from './json-values.js';
import { validateModel } from './model-metadata.js';
import {
  type ConnectionView,
  connectionView,
  type DeploymentView,
  deploymentView,
  type FailureView,
  failureView,
  type JobView,
  jobView,
  type ModelVersionView,
  type ModelView,
  modelView,
  type Page,
  versionView,
} from './views.js';

/** Options of {@link openService}. */
export interface ServiceOptions {
  /** Data dir (SQLite file, generated secret key, artifacts). Default `./.keras-batch`. */
  dataDir?: string;
  /** `postgres://...` selects PostgreSQL; default `DATABASE_URL` from the environment when it is one. */
  databaseUrl?: string;
  /** PostgreSQL schema (tests). */
  pgSchema?: string;
  /** Folder or `s3://bucket/prefix` for model files. Default `<dataDir>/artifacts`. */
  artifacts?: string;
  logger: Logger;
  maxConcurrentJobs?: number;
  /** Inference threads per engine. */
  threads?: number;
  /** Environment for the secret key (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Run batch jobs over queue workers through this Redis (`serve --redis`) instead of in this process. */
  queue?: DistributedRunnerOptions;
}

const text = (v: string | undefined) => (v ?? '').trim();
const page = (p: PageInput = {}) => ({
  limit: Math.min(Math.max(p.limit ?? 50, 1), 1000),
  offset: Math.max(p.offset ?? 0, 0),
});

/**
 * Everything the API, the CLI and the server do, over one repository: models (validated and compiled at
 * upload), connections (keys sealed), deployments, jobs (run in this process, or over queue workers) and online
 * scoring.
 */
export class KerasBatchService {
  readonly engines: EngineCache;
  readonly jobs: JobExecutor;
  private readonly onlineCache = new Map<
    string,
    { model: Awaited<ReturnType<EngineCache['get']>>; until: number }
  >();

  constructor(
    readonly repo: Repository,
    private readonly box: SecretBox,
    private readonly artifacts: BucketDriver,
    readonly logger: Logger,
    options: { maxConcurrentJobs?: number; threads?: number; queue?: DistributedRunnerOptions },
  ) {
    this.engines = new EngineCache(artifacts, options.threads);
    this.jobs = new JobExecutor({
      repository: repo,
      runner: options.queue ? distributedJobRunner(options.queue) : localJobRunner(this.engines),
      box,
      logger,
      maxConcurrentJobs: options.maxConcurrentJobs,
    });
  }

  // ---- models

  /** Creates a model with its first version from a file that must load and compile. */
  async createModel(input: NewModelInput): Promise<{ model: ModelView; version: ModelVersionView }> {
    const name = text(input.name);
    if (!name) throw new ServiceError('SERVICE_INVALID', 'a model needs a name');
    if (await this.repo.models.findModel(name))
      throw new RepositoryError('REPO_CONFLICT', `a model named ${JSON.stringify(name)} already exists`);
    const validated = await validateModel(input.file.bytes, input.file.name, input.architecture);
    const stamp = now();
    const model = await this.repo.models
      .insertModel({
        id: newId(),
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

  /** Adds a version to a model (by id or name). */
  async addVersion(model: string, input: Omit<NewModelInput, 'name'>): Promise<ModelVersionView> {
    const row = await this.repo.models.getModel(model);
    const validated = await validateModel(input.file.bytes, input.file.name, input.architecture);
    return this.storeVersion(row.id, input, validated);
  }

  private async storeVersion(
    modelId: string,
    input: Omit<NewModelInput, 'name'>,
    v: Awaited<ReturnType<typeof validateModel>>,
  ): Promise<ModelVersionView> {
    const id = newId();
    const key = artifactKey(modelId, id, input.file.name);
    const archKey = input.architecture ? artifactKey(modelId, id, 'architecture.json') : null;
    await this.artifacts.put(key, input.file.bytes);
    if (archKey && input.architecture) await this.artifacts.put(archKey, input.architecture);
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
    this.engines.put(id, { description: v.description, engine: v.engine, sha256: v.sha256 });
    this.logger.info({ model: modelId, version: row.version, sha256: v.sha256 }, 'model version stored');
    return versionView(row);
  }

  async listModels(p?: PageInput): Promise<Page<ModelView>> {
    const q = page(p);
    const { items, total } = await this.repo.models.listModels(q);
    return { items: items.map((m) => modelView(m)), total, ...q };
  }

  async getModel(idOrName: string): Promise<ModelView> {
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

  /** The path or bytes of a stored model's file (for `score --model <id|name>`). */
  async modelArtifact(model: string): Promise<{
    file: Uint8Array;
    architecture?: Uint8Array;
    fileName: string;
    version: { id: string; sha256: string; fileName: string };
  }> {
    const row = await this.repo.models.getModel(model);
    const v = await this.repo.models.getVersionOf(row.id);
    return {
      file: (await this.artifacts.get(v.artifact_key)).body,
      architecture: v.architecture_key ? (await this.artifacts.get(v.architecture_key)).body : undefined,
      fileName: v.file_name,
      version: { id: v.id, sha256: v.sha256, fileName: v.file_name },
    };
  }

  /** A version's stored file (`part: 'architecture'`: its architecture JSON), as uploaded. */
  async versionFile(
    model: string,
    version: string,
    part: 'model' | 'architecture' = 'model',
  ): Promise<{ bytes: Uint8Array; fileName: string }> {
    const v = await this.getVersion(model, version);
    const row = await this.repo.models.getVersion(v.id);
    const key = part === 'model' ? row.artifact_key : row.architecture_key;
    if (!key) throw new RepositoryError('REPO_NOT_FOUND', `version ${v.id} has no architecture JSON`);
    const fileName = part === 'model' ? row.file_name : 'architecture.json';
    return { bytes: (await this.artifacts.get(key)).body, fileName };
  }

  async deleteModel(idOrName: string): Promise<void> {
    const row = await this.repo.models.getModel(idOrName);
    const versions = await this.repo.models.deleteModel(row.id);
    for (const v of versions) {
      await this.engines.evict(v.id);
      await this.artifacts.delete(v.artifact_key).catch(() => undefined);
      if (v.architecture_key) await this.artifacts.delete(v.architecture_key).catch(() => undefined);
    }
  }

  // ---- connections

  /** Stores a connection; S3 keys are sealed (AES-256-GCM) and never returned. */
  async createConnection(input: NewConnectionInput): Promise<ConnectionView> {
    return connectionView(await this.repo.connections.insert(connectionRow(input, this.box)));
  }

  async listConnections(p?: PageInput): Promise<Page<ConnectionView>> {
    const q = page(p);
    const { items, total } = await this.repo.connections.list(q);
    return { items: items.map(connectionView), total, ...q };
  }

  async getConnection(idOrName: string): Promise<ConnectionView> {
    return connectionView(await this.repo.connections.get(idOrName));
  }

  async deleteConnection(idOrName: string): Promise<void> {
    await this.repo.connections.delete((await this.repo.connections.get(idOrName)).id);
  }

  // ---- deployments

  private async place(p: PlaceInput | undefined, what: string) {
    if (!p) throw new ServiceError('SERVICE_INVALID', `a batch deployment needs a ${what}`);
    const connection = await this.repo.connections.get(p.connection);
    const place = checkPlace({ bucket: p.bucket ?? null, prefix: p.prefix ?? '' }, what);
    if (connection.kind === 's3' && !place.bucket)
      throw new ServiceError('SERVICE_INVALID', `the ${what} needs a bucket (its connection is S3)`);
    return { connection, place };
  }

  /** Creates a deployment; a batch deployment starts a job at once (unless `start: false`). */
  async createDeployment(input: NewDeploymentInput): Promise<DeploymentView> {
    const name = text(input.name);
    if (!name) throw new ServiceError('SERVICE_INVALID', 'a deployment needs a name');
    const model = await this.repo.models.getModel(input.model);
    const version = await this.repo.models.getVersionOf(model.id, input.version);
    if (input.options?.max_failures) parseFailureLimit(input.options.max_failures);
    const row = {
      id: newId(),
      name,
      description: input.description ?? '',
      type: input.type,
      model_id: model.id,
      model_version_id: version.id,
      source_connection_id: null as string | null,
      source_bucket: null as string | null,
      source_prefix: null as string | null,
      target_connection_id: null as string | null,
      target_bucket: null as string | null,
      target_prefix: null as string | null,
      options: JSON.stringify(input.options ?? {}),
      created_at: now(),
    };
    if (input.type === 'batch') {
      const source = await this.place(input.source, 'source');
      const target = await this.place(input.target, 'target');
      Object.assign(row, {
        source_connection_id: source.connection.id,
        source_bucket: source.place.bucket,
        source_prefix: source.place.prefix,
        target_connection_id: target.connection.id,
        target_bucket: target.place.bucket,
        target_prefix: target.place.prefix,
      });
    } else if (input.source || input.target) {
      throw new ServiceError('SERVICE_INVALID', 'an online deployment has no source or target');
    }
    await this.repo.deployments.insert(row);
    if (input.type === 'batch' && input.start !== false) await this.runDeployment(row.id);
    return this.getDeployment(row.id);
  }

  async getDeployment(id: string): Promise<DeploymentView> {
    const row = await this.repo.deployments.get(id);
    const version = await this.repo.models.getVersion(row.model_version_id);
    return deploymentView(row, Number(version.version), await this.repo.jobs.latest(id));
  }

  async listDeployments(filter: PageInput & { model?: string } = {}): Promise<Page<DeploymentView>> {
    const q = page(filter);
    const modelId = filter.model ? (await this.repo.models.getModel(filter.model)).id : undefined;
    const { items, total } = await this.repo.deployments.list({ ...q, modelId });
    const views = [];
    for (const row of items) {
      const version = await this.repo.models.getVersion(row.model_version_id);
      views.push(deploymentView(row, Number(version.version), await this.repo.jobs.latest(row.id)));
    }
    return { items: views, total, ...q };
  }

  /** Starts a new job of a batch deployment. */
  async runDeployment(id: string): Promise<JobView> {
    const deployment = await this.repo.deployments.get(id);
    if (deployment.type !== 'batch')
      throw new ServiceError('SERVICE_NOT_BATCH', `deployment ${id} is an online deployment: it has no jobs`);
    const job = await this.repo.jobs.insert({
      id: newId(),
      deployment_id: id,
      status: 'queued',
      status_message: null,
      interrupted: 0,
      attempts: 0,
      total: 0,
      scored: 0,
      failed: 0,
      skipped: 0,
      records: 0,
      listing_done: 0,
      created_at: now(),
      started_at: null,
      finished_at: null,
      duration_ms: null,
      files_per_second: null,
      records_per_second: null,
    });
    this.jobs.enqueue(job.id);
    return jobView(job);
  }

  /** Deletes a deployment, canceling its unfinished jobs first. */
  async deleteDeployment(id: string): Promise<void> {
    await this.repo.deployments.get(id);
    const open = await this.repo.jobs.list({
      deploymentId: id,
      status: ['queued', 'running'],
      limit: 1000,
      offset: 0,
    });
    for (const job of open.items) await this.jobs.cancel(job.id);
    await this.repo.deployments.delete(id);
    this.onlineCache.delete(id);
  }

  // ---- jobs

  async listJobs(
    filter: PageInput & { deployment?: string; status?: JobStatus[] } = {},
  ): Promise<Page<JobView>> {
    const q = page(filter);
    const { items, total } = await this.repo.jobs.list({
      ...q,
      deploymentId: filter.deployment,
      status: filter.status,
    });
    return { items: items.map(jobView), total, ...q };
  }

  async getJob(id: string): Promise<JobView> {
    return jobView(await this.repo.jobs.get(id));
  }

  async jobFailures(id: string, p?: PageInput): Promise<Page<FailureView>> {
    await this.repo.jobs.get(id);
    const q = page(p);
    const { items, total } = await this.repo.jobs.failures(id, q);
    return { items: items.map(failureView), total, ...q };
  }

  /** Cancels a queued or running job; a final job fails with `SERVICE_JOB_FINAL`. */
  async cancelJob(id: string): Promise<JobView> {
    const job = await this.repo.jobs.get(id);
    if ((FINAL_STATUSES as string[]).includes(job.status) || !(await this.jobs.cancel(id)))
      throw new ServiceError(
        'SERVICE_JOB_FINAL',
        `job ${id} is already ${(await this.repo.jobs.get(id)).status}`,
      );
    return this.getJob(id);
  }

  /** Runs a job's deployment again (a new job). */
  async rerunJob(id: string): Promise<JobView> {
    return this.runDeployment((await this.repo.jobs.get(id)).deployment_id);
  }

  // ---- online scoring

  /**
   * Scores `{"values": ...}` with a deployment's model version (one record, with or without the batch axis,
   * or many): the seed's fields and one `[prediction, class, probability]` row per record, as JSON text.
   */
  async score(deploymentId: string, values: unknown): Promise<{ body: string; records: number }> {
    const model = await this.onlineModel(deploymentId);
    const records = shapeRecords(valuesFromJson(values, model.engine.inputs.length), model.engine.inputs);
    const outputs = await model.batcher.score(records);
    const rows: string[] = [];
    for (let r = 0; r < records.count; r += 1) rows.push(recordValues(outputs, r));
    return {
      body: `{"fields": ${JSON.stringify(FIELDS)}, "values": [${rows.join(', ')}]}`,
      records: records.count,
    };
  }

  /** A deployment's model, with the deployment → version lookup cached for 5 s (online scoring is hot). */
  private async onlineModel(deploymentId: string) {
    const hit = this.onlineCache.get(deploymentId);
    if (hit && hit.until > Date.now()) return hit.model;
    const deployment = await this.repo.deployments.get(deploymentId);
    const model = await this.engines.get(await this.repo.models.getVersion(deployment.model_version_id));
    if (this.onlineCache.size > 1000) this.onlineCache.clear();
    this.onlineCache.set(deploymentId, { model, until: Date.now() + 5000 });
    return model;
  }

  // ---- lifecycle

  /** Resumes interrupted jobs and requeues queued ones (call once on server start). */
  async start(): Promise<string[]> {
    return this.jobs.recover();
  }

  async close(): Promise<void> {
    await this.jobs.close();
    await this.engines.close();
    await this.artifacts.close();
    await this.repo.close();
  }
}

/** Opens the repository, the secret key and the artifact store. */
export async function openService(options: ServiceOptions): Promise<KerasBatchService> {
  const env = options.env ?? process.env;
  const dataDir = options.dataDir ?? '.keras-batch';
  const databaseUrl = options.databaseUrl ?? (isPostgresUrl(env.DATABASE_URL) ? env.DATABASE_URL : undefined);
  const box = new SecretBox(loadSecretKey(dataDir, env));
  const repo = await openRepository({ databaseUrl, dataDir, pgSchema: options.pgSchema });
  const artifacts = openArtifactStore({ location: options.artifacts, dataDir: join(dataDir) });
  return new KerasBatchService(repo, box, artifacts.driver, options.logger, options);
}
