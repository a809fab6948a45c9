import { FINAL_STATUSES, type JobStatus, newId, type Repository } from '../repository/index.js';
import { formatLocation } from '../storage/index.js';
import type { DeploymentsService } from './deployments-service.js';
import { ServiceError } from './errors.js';
import type { NewDeploymentJobInput, PageInput } from './inputs.js';
import type { JobExecutor } from './job-executor.js';
import { type JobSpec, jobSpecOf, placesClash } from './job-spec.js';
import { newJobRow } from './new-job.js';
import type { OnlineService } from './online-service.js';
import { page } from './paging.js';
import { type JobView, jobView, type Page } from './views.js';

/** A job with what a job of its own stores (null for a deployment's own job). */
export interface DeploymentJobView {
  job: JobView;
  spec: JobSpec | null;
}

/** Connections a job stored for inline keys or a local path: named so, deleted with the job. */
const ownConnectionName = (jobId: string, what: 'source' | 'target') => `v4-job-${jobId}-${what}`;

/**
 * Jobs that name their own source and target, or carry their records inline (WML v4 `deployment_jobs`), on
 * batch deployments; run by the same executor and batch runner as a deployment's own jobs.
 */
export class DeploymentJobsService {
  constructor(
    private readonly repo: Repository,
    private readonly jobs: JobExecutor,
    private readonly deployments: DeploymentsService,
    private readonly online: OnlineService,
  ) {}

  /** Scores inline records (WML v4 `input_data`) with a deployment's model: `{fields, values}` per block. */
  predict(deploymentId: string, inputs: { id?: string; values: unknown }[]) {
    return scoreInline(this.online, deploymentId, inputs);
  }

  /** Deletes a deployment with its jobs and the connections they stored. */
  async deleteDeployment(id: string): Promise<void> {
    await this.repo.deployments.get(id);
    for (;;) {
      const { items } = await this.repo.jobs.list({ deploymentId: id, limit: 500, offset: 0 });
      for (const row of items) await this.delete(row.id, true);
      if (items.length < 500) break;
    }
    await this.deployments.delete(id);
  }

  /** Stores a queued job (and the connections its references carry inline, in one transaction) and queues it. */
  async create(input: NewDeploymentJobInput): Promise<DeploymentJobView> {
    const deployment = await this.repo.deployments.get(input.deployment);
    if (deployment.type !== 'batch')
      throw new ServiceError(
        'SERVICE_NOT_BATCH',
        `deployment ${deployment.id} is an online deployment: jobs run on batch deployments`,
      );
    const inline = input.inputData !== undefined;
    if (inline === Boolean(input.source || input.target))
      throw new ServiceError(
        'SERVICE_INVALID',
        'a job takes either inline input data or an input reference with an output reference',
      );
    if (!inline && (!input.source || !input.target))
      throw new ServiceError('SERVICE_INVALID', 'an input reference needs an output reference (and back)');
    if (inline && input.inputData?.length === 0)
      throw new ServiceError('SERVICE_INVALID', 'the inline input data is empty');
    const id = newId();
    const spec: JobSpec = {
      name: input.name,
      request: input.request,
      ...(input.include ? { include: input.include } : {}),
      ...(input.outputFormat ? { output_format: input.outputFormat } : {}),
      ...(input.inputData ? { input_data: input.inputData } : {}),
    };
    await this.repo.transaction(async (repo) => {
      const row = { ...newJobRow(id, deployment.id), spec: JSON.stringify(spec) };
      if (input.source && input.target) {
        const named = (p: NonNullable<typeof input.source>, what: 'source' | 'target') =>
          typeof p.connection === 'string'
            ? p
            : { ...p, connection: { ...p.connection, name: ownConnectionName(id, what) } };
        const source = await this.deployments.place(repo, named(input.source, 'source'), 'source');
        const target = await this.deployments.place(repo, named(input.target, 'target'), 'target');
        if (placesClash(source.location, target.location, spec))
          throw new ServiceError(
            'SERVICE_OVERLAP',
            `the output ${formatLocation(target.location)} overlaps the input ${formatLocation(source.location)}: choose an output outside the input`,
          );
        Object.assign(row, {
          source_connection_id: source.connection.id,
          source_bucket: source.place.bucket,
          source_prefix: source.place.prefix,
          target_connection_id: target.connection.id,
          target_bucket: target.place.bucket,
          target_prefix: target.place.prefix,
        });
      }
      await repo.jobs.insert(row);
    });
    this.jobs.enqueue(id);
    return this.get(id);
  }

  async get(id: string): Promise<DeploymentJobView> {
    const row = await this.repo.jobs.get(id);
    return { job: jobView(row), spec: jobSpecOf(row) };
  }

  async list(
    filter: PageInput & { deployment?: string; status?: JobStatus[] } = {},
  ): Promise<Page<DeploymentJobView>> {
    const q = page(filter);
    const { items, total } = await this.repo.jobs.list({
      ...q,
      deploymentId: filter.deployment,
      status: filter.status,
    });
    return { items: items.map((row) => ({ job: jobView(row), spec: jobSpecOf(row) })), total, ...q };
  }

  /**
   * Cancels a queued or running job (a final one stays as it is); `hard` also removes its record, its
   * failures and the connections it stored.
   */
  async delete(id: string, hard: boolean): Promise<void> {
    const row = await this.repo.jobs.get(id);
    if (!(FINAL_STATUSES as string[]).includes(row.status)) await this.jobs.cancel(id);
    if (!hard) return;
    await this.repo.jobs.setFailures(id, []);
    await this.repo.jobs.delete(id);
    for (const what of ['source', 'target'] as const) {
      const connectionId = what === 'source' ? row.source_connection_id : row.target_connection_id;
      if (!connectionId) continue;
      const c = await this.repo.connections.get(connectionId).catch(() => undefined);
      if (c?.name === ownConnectionName(id, what))
        await this.repo.connections.delete(c.id).catch(() => undefined);
    }
  }
}

/** The predictions of inline records (each block one online scoring call), scored online with the deployment's model: WML v4's `{fields, values}`. */
async function scoreInline(
  online: OnlineService,
  deploymentId: string,
  inputs: { id?: string; values: unknown }[],
) {
  const out = [];
  for (const input of inputs) {
    const { body } = await online.score(deploymentId, input.values);
    const scored = JSON.parse(body) as { fields: string[]; values: unknown[] };
    out.push({ ...(input.id ? { id: input.id } : {}), fields: scored.fields, values: scored.values });
  }
  return out;
}
