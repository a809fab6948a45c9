import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ModelCacheOptions } from '../engine/model-cache.js';
import {
  isPostgresUrl,
  type JobRecords,
  type JobStatus,
  loadSecretKey,
  openRepository,
  type Repository,
  SecretBox,
} from '../repository/index.js';
import type { BucketDriver } from '../storage/index.js';
import { openArtifactStore } from './artifacts.js';
import { openPlace } from './connection-drivers.js';
import { ConnectionsService } from './connections-service.js';
import { DeploymentJobsService } from './deployment-jobs-service.js';
import { DeploymentsService, type JobFilter } from './deployments-service.js';
import { type DistributedRunnerOptions, distributedJobRunner } from './distributed-runner.js';
import { EndpointPolicy } from './endpoint-policy.js';
import { EngineCache } from './engine-cache.js';
import type {
  CascadeInput,
  DeploymentFilter,
  DeploymentPatchInput,
  NewConnectionInput,
  NewDeploymentInput,
  NewModelInput,
  PageInput,
} from './inputs.js';
import { JobExecutor } from './job-executor.js';
import { localJobRunner } from './job-runner.js';
import { KeysService } from './keys-service.js';
import { LocalRoots } from './local-roots.js';
import { storeModelFiles } from './model-files.js';
import { ModelsService } from './models-service.js';
import { OnlineService } from './online-service.js';
import { TokensService, tokenSigningKey } from './tokens-service.js';
import type { JobMode } from './views.js';

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
  /** How many compiled models (and bytes of weights) the server keeps. */
  modelCache?: ModelCacheOptions;
  /** Run batch jobs over queue workers through this Redis (`serve --redis`) instead of in this process. */
  queue?: DistributedRunnerOptions;
  /**
   * The only folders local connections may use (`serve --local-root`); an empty list allows none. Absent: any
   * folder (the CLI on the user's own data dir).
   */
  localRoots?: readonly string[];
  /**
   * S3 endpoints stored connections may reach (`serve --s3-endpoint-allow`, globs on `scheme://host:port`); an
   * empty list: any https endpoint outside loopback, link-local and private ranges. Absent: any endpoint (the CLI).
   */
  s3EndpointAllow?: readonly string[];
}

/**
 * Everything the API, the CLI and the server do, over one repository, one feature per service: `models`
 * (validated and compiled at upload), `connections` (keys sealed; browsing), `deployments` (and their jobs,
 * run in this process or over queue workers), `online` scoring and API `keys`. The methods below are the
 * same calls under their historical names.
 */
export class KerasBatchService {
  readonly engines: EngineCache;
  readonly jobs: JobExecutor;
  readonly models: ModelsService;
  readonly connections: ConnectionsService;
  readonly deployments: DeploymentsService;
  /** Jobs that name their own source and target or carry inline records (WML v4 deployment jobs). */
  readonly deploymentJobs: DeploymentJobsService;
  readonly online: OnlineService;
  readonly keys: KeysService;
  /** Signed bearer tokens for IBM's WML clients, standing for API keys. */
  readonly tokens: TokensService;

  constructor(
    private readonly repo: Repository,
    box: SecretBox,
    private readonly artifacts: BucketDriver,
    readonly logger: Logger,
    options: {
      maxConcurrentJobs?: number;
      threads?: number;
      queue?: DistributedRunnerOptions;
      modelCache?: ModelCacheOptions;
      roots?: LocalRoots;
      endpoints?: EndpointPolicy;
      /** Signs tokens; default a random key (tokens then die with the process). */
      tokenKey?: Uint8Array;
    },
  ) {
    const roots = options.roots ?? LocalRoots.unrestricted();
    const endpoints = options.endpoints ?? EndpointPolicy.any();
    const files = storeModelFiles(artifacts);
    this.engines = new EngineCache(files, options.threads, options.modelCache);
    this.jobs = new JobExecutor({
      repository: repo,
      runner: options.queue ? distributedJobRunner(options.queue) : localJobRunner(this.engines),
      box,
      roots,
      endpoints,
      logger,
      maxConcurrentJobs: options.maxConcurrentJobs,
      inline: (deploymentId, inputs) => this.deploymentJobs.predict(deploymentId, inputs),
    });
    this.models = new ModelsService(repo, artifacts, files, this.engines, logger, options.threads);
    this.connections = new ConnectionsService(repo, box, roots, endpoints);
    this.online = new OnlineService(repo, this.engines);
    this.deployments = new DeploymentsService(
      repo,
      this.jobs,
      (id) => this.online.forget(id),
      (input) => this.connections.row(input),
      roots,
      (endpoint) => this.connections.checkEndpoint(endpoint),
      {
        engines: this.engines,
        open: (p, create) => openPlace(p.connection, p.place, box, { roots, create }),
      },
    );
    this.deploymentJobs = new DeploymentJobsService(repo, this.jobs, this.deployments, this.online);
    this.keys = new KeysService(repo);
    this.tokens = new TokensService(this.keys, options.tokenKey);
  }

  /** Which database holds the repository (`sqlite`/`postgres`) and where (no credentials). */
  get database(): { dialect: string; where: string } {
    return { dialect: this.repo.dialect, where: this.repo.where };
  }

  /** Jobs by status, for metrics. */
  jobCounts(): Promise<Record<JobStatus, number>> {
    return this.repo.jobs.countByStatus();
  }

  createModel = (input: NewModelInput) => this.models.create(input);
  addVersion = (model: string, input: Omit<NewModelInput, 'name'>) => this.models.addVersion(model, input);
  listModels = (p?: PageInput) => this.models.list(p);
  getModel = (idOrName: string) => this.models.get(idOrName);
  listVersions = (model: string) => this.models.listVersions(model);
  getVersion = (model: string, version?: string) => this.models.getVersion(model, version);
  modelArtifact = (model: string) => this.models.artifact(model);
  versionFile = (model: string, version: string, part?: 'model' | 'architecture') =>
    this.models.versionFile(model, version, part);
  updateModel = (idOrName: string, input: { name?: string; description?: string }) =>
    this.models.update(idOrName, input);
  /**
   * Deletes a model. While deployments use it, it is refused (`REPO_IN_USE`, naming them) unless
   * `deployments: 'delete'`: they are deleted first, with their job records (which refer to its versions).
   */
  deleteModel = async (idOrName: string, options: CascadeInput = {}) => {
    if (options.deployments === 'delete')
      for (const d of await this.models.usersOf(idOrName)) await this.deployments.delete(d.id, 'delete');
    await this.models.delete(idOrName);
  };

  createConnection = (input: NewConnectionInput) => this.connections.create(input);
  listConnections = (p?: PageInput) => this.connections.list(p);
  getConnection = (idOrName: string) => this.connections.get(idOrName);
  /**
   * Deletes a connection. While deployments use it, it is refused (`REPO_IN_USE`, naming them) unless
   * `deployments: 'delete'`: they are deleted first, their job records deleted or kept (`jobs`).
   */
  deleteConnection = async (idOrName: string, options: CascadeInput = {}) => {
    if (options.deployments === 'delete')
      for (const d of await this.connections.usersOf(idOrName))
        await this.deployments.delete(d.id, options.jobs ?? 'delete');
    await this.connections.delete(idOrName);
  };

  createDeployment = (input: NewDeploymentInput) => this.deployments.create(input);
  getDeployment = (id: string) => this.deployments.get(id);
  listDeployments = (filter?: DeploymentFilter) => this.deployments.list(filter);
  updateDeployment = (id: string, input: DeploymentPatchInput) => this.deployments.update(id, input);
  runDeployment = (id: string) => this.deployments.run(id);
  deleteDeployment = (id: string, jobs?: JobRecords) => this.deployments.delete(id, jobs);
  validateDeployment = (input: NewDeploymentInput, sample?: number) =>
    this.deployments.validate(input, sample);
  listJobs = (filter?: JobFilter) => this.deployments.listJobs(filter);
  getJob = (id: string) => this.deployments.getJob(id);
  jobFailures = (id: string, p?: PageInput) => this.deployments.jobFailures(id, p);
  cancelJob = (id: string) => this.deployments.cancelJob(id);
  rerunJob = (id: string, mode?: JobMode) => this.deployments.rerunJob(id, mode);
  jobReport = (id: string) => this.deployments.jobReport(id);
  jobFailuresAll = (id: string) => this.deployments.allFailures(id);

  score = (deploymentId: string, values: unknown) => this.online.score(deploymentId, values);

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
  const secretKey = loadSecretKey(dataDir, env);
  const box = new SecretBox(secretKey);
  const repo = await openRepository({ databaseUrl, dataDir, pgSchema: options.pgSchema });
  const artifacts = openArtifactStore({ location: options.artifacts, dataDir: join(dataDir) });
  // The artifact store is inside the data dir unless --artifacts names a shared folder (or S3).
  const guarded = [dataDir];
  if (options.artifacts && !options.artifacts.startsWith('s3://')) guarded.push(options.artifacts);
  let roots: LocalRoots;
  try {
    roots = options.localRoots ? LocalRoots.confined(options.localRoots, guarded) : LocalRoots.unrestricted();
  } catch (error) {
    await repo.close();
    throw error;
  }
  const endpoints = options.s3EndpointAllow
    ? EndpointPolicy.of(options.s3EndpointAllow)
    : EndpointPolicy.any();
  return new KerasBatchService(repo, box, artifacts.driver, options.logger, {
    ...options,
    roots,
    endpoints,
    tokenKey: tokenSigningKey(secretKey),
  });
}
