import { parseFailureLimit } from '../batch/index.js';
import {
  type ConnectionRow,
  type DeploymentPatch,
  FINAL_STATUSES,
  type JobRecords,
  type JobStatus,
  newId,
  now,
  type Repository,
  RepositoryError,
} from '../repository/index.js';
import { formatLocation, locationsOverlap } from '../storage/index.js';
import { errorMessage, KerasBatchError } from '../util/errors.js';
import { checkPlace, placeLocation } from './connection-drivers.js';
import { checkSourceHasFiles, sentence } from './deployment-checks.js';
import { ServiceError } from './errors.js';
import { formatOptions } from './format-options.js';
import type {
  DeploymentFilter,
  DeploymentPatchInput,
  NewConnectionInput,
  NewDeploymentInput,
  PageInput,
  PlaceInput,
} from './inputs.js';
import type { JobExecutor } from './job-executor.js';
import type { LocalRoots } from './local-roots.js';
import { newJobRow } from './new-job.js';
import { page, text } from './paging.js';
import { type ResolvedDeployment, type ValidateDeps, validateDeployment } from './validate.js';
import {
  type DeploymentView,
  deploymentView,
  type FailureView,
  failureView,
  type JobMode,
  type JobReportDoc,
  type JobView,
  jobView,
  type Page,
  type ValidationResult,
} from './views.js';

/** Which jobs a listing shows. */
export interface JobFilter extends PageInput {
  deployment?: string;
  status?: JobStatus[];
  /** Created at or after (ISO-8601). */
  since?: string;
  /** Created before (ISO-8601). */
  until?: string;
  /** The start of a job id, or a part of a deployment's name. */
  q?: string;
}

/**
 * Batch and online deployments of model versions, and the jobs of batch deployments. Every rule of a
 * deployment is checked here, before anything is saved: a name, a bucket for S3 places, no `.`/`..`, and a
 * target that does not overlap its source (`SERVICE_OVERLAP`).
 */
export class DeploymentsService {
  constructor(
    private readonly repo: Repository,
    private readonly jobs: JobExecutor,
    private readonly onDelete: (deploymentId: string) => void,
    /** A connection row (keys sealed) for a connection given inline with a deployment. */
    private readonly newConnectionRow: (input: NewConnectionInput) => ConnectionRow,
    private readonly roots: LocalRoots,
    private readonly checkEndpoint: (endpoint: string | null) => Promise<void>,
    /** The checks before saving (validate, and the cheap ones of create): engines and opening places. */
    private readonly checks: ValidateDeps,
  ) {}

  /**
   * A place's connection (a new one stored in `repo` unless `persist` is false, as validate does), checked: its
   * bucket, its folder's root, its endpoint.
   */
  async place(repo: Repository, p: PlaceInput | undefined, what: string, persist = true) {
    if (!p) throw new ServiceError('SERVICE_INVALID', `a batch deployment needs a ${what}`);
    const connection =
      typeof p.connection === 'string'
        ? await repo.connections.get(p.connection)
        : persist
          ? await repo.connections.insert(this.newConnectionRow(p.connection))
          : this.newConnectionRow(p.connection);
    const place = checkPlace({ bucket: p.bucket ?? null, prefix: p.prefix ?? '' }, what);
    if (connection.kind === 's3' && !place.bucket)
      throw new ServiceError('SERVICE_INVALID', `the ${what} needs a bucket (its connection is S3)`);
    const location = placeLocation(connection, place);
    if (location.kind === 'fs') this.roots.check(location.path, `the ${what}`);
    else await this.checkEndpoint(connection.endpoint);
    return { connection, place, location };
  }

  /**
   * Creates a deployment (with the connections given inline, in one transaction: all or nothing); a batch
   * deployment starts a job at once (unless `start: false`).
   */
  async create(input: NewDeploymentInput): Promise<DeploymentView> {
    const id = await this.repo.transaction((repo) => this.insert(repo, input));
    if (input.type === 'batch' && input.start !== false && !input.jobPlaces) await this.run(id);
    return this.get(id);
  }

  private async insert(repo: Repository, input: NewDeploymentInput): Promise<string> {
    const name = text(input.name);
    if (!name) throw new ServiceError('SERVICE_INVALID', 'a deployment needs a name');
    await repo.deployments.checkNameFree(name);
    const model = await repo.models.getModel(input.model);
    const version = await repo.models.getVersionOf(model.id, input.version);
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
    if (input.type === 'batch' && input.jobPlaces && !input.source && !input.target) {
      // a batch deployment whose jobs bring their own source and target (WML v4 deployment jobs)
    } else if (input.type === 'batch') {
      const source = await this.place(repo, input.source, 'source');
      const target = await this.place(repo, input.target, 'target');
      if (locationsOverlap(source.location, target.location)) {
        throw new ServiceError(
          'SERVICE_OVERLAP',
          `the target ${formatLocation(target.location)} overlaps the source ${formatLocation(source.location)}: choose a target outside the source`,
        );
      }
      await checkSourceHasFiles(this.checks, source);
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
    await repo.deployments.insert(row);
    return row.id;
  }

  /** Whether a (not deleted) deployment has this name. */
  async nameTaken(name: string): Promise<boolean> {
    try {
      await this.repo.deployments.checkNameFree(name);
      return false;
    } catch (error) {
      if (error instanceof RepositoryError && error.code === 'REPO_CONFLICT') return true;
      throw error;
    }
  }

  /**
   * The checks before saving, without saving: settings, overlap, source inputs, target writable, and a dry run
   * of the first `sample` inputs (shapes, a sample output, an estimate). A setting that is refused (an unknown
   * model or connection, a bad option, a folder outside the allowed roots) is the `settings` check's answer.
   */
  async validate(input: NewDeploymentInput, sample = 8): Promise<ValidationResult> {
    let resolved: ResolvedDeployment;
    try {
      if (input.type !== 'batch')
        throw new ServiceError('SERVICE_INVALID', 'only a batch deployment has a source and target to check');
      const name = text(input.name);
      if (!name) throw new ServiceError('SERVICE_INVALID', 'a deployment needs a name');
      // A taken name is the settings check's answer (saving would be refused after the checks all passed).
      if (await this.nameTaken(name))
        throw new ServiceError(
          'SERVICE_INVALID',
          `a deployment named ${JSON.stringify(name)} already exists: choose another name`,
        );
      const model = await this.repo.models.getModel(input.model);
      const version = await this.repo.models.getVersionOf(model.id, input.version);
      if (input.options?.max_failures) parseFailureLimit(input.options.max_failures);
      const source = await this.place(this.repo, input.source, 'source', false);
      const target = await this.place(this.repo, input.target, 'target', false);
      const o = input.options ?? {};
      resolved = {
        version,
        source,
        target,
        batchSize: o.batch_size,
        formats: formatOptions(o),
      };
    } catch (error) {
      if (!(error instanceof KerasBatchError)) throw error;
      const message = errorMessage(error).replace(/^\[[a-z]+\] /, '');
      return {
        ok: false,
        checks: [{ id: 'settings', label: 'Settings', verdict: 'fail', message: sentence(message) }],
        inputs: null,
        sample: null,
        estimate: null,
      };
    }
    return validateDeployment(this.checks, resolved, sample);
  }

  async get(id: string): Promise<DeploymentView> {
    const row = await this.repo.deployments.get(id);
    const version = await this.repo.models.getVersion(row.model_version_id);
    return deploymentView(row, Number(version.version), await this.repo.jobs.latest(id));
  }

  async list(filter: DeploymentFilter = {}): Promise<Page<DeploymentView>> {
    const q = page(filter);
    const modelId = filter.model ? (await this.repo.models.getModel(filter.model)).id : undefined;
    const connectionId = filter.connection
      ? (await this.repo.connections.get(filter.connection)).id
      : undefined;
    const { items, total } = await this.repo.deployments.list({ ...q, modelId, connectionId });
    const views = [];
    for (const row of items) {
      const version = await this.repo.models.getVersion(row.model_version_id);
      views.push(deploymentView(row, Number(version.version), await this.repo.jobs.latest(row.id)));
    }
    return { items: views, total, ...q };
  }

  /** Starts a new job of a batch deployment (a rerun: how, and of which job). */
  async run(id: string, rerun?: { mode: JobMode; of: string }): Promise<JobView> {
    const deployment = await this.repo.deployments.get(id);
    if (deployment.type !== 'batch')
      throw new ServiceError('SERVICE_NOT_BATCH', `deployment ${id} is an online deployment: it has no jobs`);
    if (!deployment.source_connection_id)
      throw new ServiceError(
        'SERVICE_INVALID',
        `deployment ${id} has no source or target: its jobs name their own (WML v4 deployment jobs)`,
      );
    const job = await this.repo.jobs.insert({
      ...newJobRow(newId(), id),
      mode: rerun?.mode ?? 'all',
      rerun_of: rerun?.of ?? null,
    });
    this.jobs.enqueue(job.id);
    return jobView(job);
  }

  /**
   * Edits a deployment: its name (unique), description, options (replaced whole) or the version of its model
   * it uses. Places are not edited (a new deployment is made for another source or target).
   */
  async update(id: string, input: DeploymentPatchInput): Promise<DeploymentView> {
    await this.repo.transaction(async (repo) => {
      const row = await repo.deployments.get(id);
      const patch: DeploymentPatch = {};
      if (input.name !== undefined) {
        const name = text(input.name);
        if (!name) throw new ServiceError('SERVICE_INVALID', 'a deployment needs a name');
        await repo.deployments.checkNameFree(name, id);
        patch.name = name;
      }
      if (input.description !== undefined) patch.description = input.description;
      if (input.options !== undefined) {
        if (input.options.max_failures) parseFailureLimit(input.options.max_failures);
        patch.options = JSON.stringify(input.options);
      }
      if (input.version !== undefined)
        patch.model_version_id = (await repo.models.getVersionOf(row.model_id, input.version)).id;
      await repo.deployments.update(id, patch);
    });
    // An online deployment's cached engine may be of the version it used before.
    if (input.version !== undefined) this.onDelete(id);
    return this.get(id);
  }

  /**
   * Deletes a deployment, canceling its unfinished jobs first. Its job records are deleted with it, or kept
   * (`jobs: 'keep'`); the outputs its jobs wrote in the target are never touched.
   */
  async delete(id: string, jobs: JobRecords = 'delete'): Promise<void> {
    await this.repo.deployments.get(id);
    const open = await this.repo.jobs.list({
      deploymentId: id,
      status: ['queued', 'running'],
      limit: 1000,
      offset: 0,
    });
    for (const job of open.items) await this.jobs.cancel(job.id);
    await this.repo.deployments.delete(id, jobs);
    this.onDelete(id);
  }

  async listJobs(filter: JobFilter = {}): Promise<Page<JobView>> {
    const q = page(filter);
    const time = (t: string | undefined, what: string) => {
      if (!t) return undefined;
      const ms = Date.parse(t);
      if (Number.isNaN(ms)) throw new ServiceError('SERVICE_INVALID', `${what} is not a date and time: ${t}`);
      return new Date(ms).toISOString();
    };
    const { items, total } = await this.repo.jobs.list({
      ...q,
      deploymentId: filter.deployment,
      status: filter.status,
      since: time(filter.since, 'since'),
      until: time(filter.until, 'until'),
      search: filter.q,
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

  /**
   * Runs a job's deployment again (a new job): `all` inputs, `resume` (skip the inputs already scored by the
   * same model), or only the `failed` inputs of this job (refused when it has none).
   */
  async rerunJob(id: string, mode: JobMode = 'all'): Promise<JobView> {
    const job = await this.repo.jobs.get(id);
    if (mode === 'failed' && (await this.repo.jobs.failedFiles(id)).length === 0)
      throw new ServiceError('SERVICE_INVALID', `job ${id} has no failed inputs to rerun`);
    return this.run(job.deployment_id, { mode, of: id });
  }

  /** A job's report: the job, its deployment's settings, its failures (all of them). */
  async jobReport(id: string): Promise<JobReportDoc> {
    const job = await this.getJob(id);
    const deployment = await this.get(job.deployment_id).catch(() => null);
    const failures = await this.allFailures(id);
    return { job, deployment, failures, failures_total: failures.length };
  }

  /** Every failure of a job, in order. */
  async allFailures(id: string): Promise<FailureView[]> {
    await this.repo.jobs.get(id);
    const out: FailureView[] = [];
    for (let offset = 0; ; offset += 1000) {
      const { items, total } = await this.repo.jobs.failures(id, { limit: 1000, offset });
      out.push(...items.map(failureView));
      if (items.length === 0 || offset + 1000 >= total) return out;
    }
  }
}
