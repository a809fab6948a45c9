import type { Kysely, Selectable, Updateable } from 'kysely';
import { notFound, RepositoryError } from './errors.js';
import { now } from './ids.js';
import { newestFirst } from './paging.js';
import { inTransaction } from './transaction.js';
import type { Database, DeploymentsTable } from './types.js';

export type DeploymentRow = Selectable<DeploymentsTable>;
/** A deployment to insert (never a deleted one). */
export type NewDeploymentRow = Omit<DeploymentRow, 'deleted_at'>;
/** What an edit of a deployment may change. */
export type DeploymentPatch = Pick<
  Updateable<DeploymentsTable>,
  'name' | 'description' | 'options' | 'model_version_id'
>;
/** A deployment as a user knows it: its id and name. */
export interface DeploymentRef {
  id: string;
  name: string;
}

/** What happens to a deleted deployment's job records: deleted with it, or kept (the deployment is hidden). */
export type JobRecords = 'delete' | 'keep';

/** Batch and online deployments. A deployment deleted with its job records kept is hidden everywhere. */
export class DeploymentStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts a deployment; a name another (not deleted) deployment has fails with `REPO_CONFLICT`. */
  async insert(row: NewDeploymentRow): Promise<DeploymentRow> {
    const full = { ...row, deleted_at: null };
    await this.db
      .insertInto('deployments')
      .values(full)
      .execute()
      .catch((error) => nameClash(error, row.name));
    return full;
  }

  /** The (not deleted) deployment with this id; `REPO_NOT_FOUND` otherwise. */
  async get(id: string): Promise<DeploymentRow> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw notFound('deployment', id);
    return row;
  }

  /** Refuses (`REPO_CONFLICT`) a name another (not deleted) deployment has. */
  async checkNameFree(name: string, exceptId?: string): Promise<void> {
    let q = this.db
      .selectFrom('deployments')
      .select(['id', 'name'])
      .where('name', '=', name)
      .where('deleted_at', 'is', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    const taken = await q.executeTakeFirst();
    if (taken)
      throw new RepositoryError(
        'REPO_CONFLICT',
        `a deployment named ${JSON.stringify(name)} already exists (${taken.id}): choose another name`,
      );
  }

  async list(filter: {
    modelId?: string;
    connectionId?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: DeploymentRow[]; total: number }> {
    let q = this.db.selectFrom('deployments').where('deleted_at', 'is', null);
    if (filter.modelId) q = q.where('model_id', '=', filter.modelId);
    const c = filter.connectionId;
    if (c)
      q = q.where((eb) => eb.or([eb('source_connection_id', '=', c), eb('target_connection_id', '=', c)]));
    return newestFirst(q.selectAll(), filter);
  }

  /** Changes a (not deleted) deployment's name, description, options or model version. */
  async update(id: string, patch: DeploymentPatch): Promise<DeploymentRow> {
    if (Object.keys(patch).length > 0) {
      const result = await this.db
        .updateTable('deployments')
        .set(patch)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
        .catch((error) => nameClash(error, String(patch.name)));
      if (Number(result.numUpdatedRows) === 0) throw notFound('deployment', id);
    }
    return this.get(id);
  }

  /**
   * Deletes a deployment: with its jobs and their failures (`jobs: 'delete'`), or keeping them (`'keep'`: the
   * deployment is marked deleted, hidden from listings, its name free; its jobs stay readable).
   */
  async delete(id: string, jobs: JobRecords = 'delete'): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      if (jobs === 'keep') {
        const result = await trx
          .updateTable('deployments')
          .set({ deleted_at: now() })
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw notFound('deployment', id);
        return;
      }
      const ids = trx.selectFrom('jobs').select('id').where('deployment_id', '=', id);
      await trx.deleteFrom('job_failures').where('job_id', 'in', ids).execute();
      await trx.deleteFrom('jobs').where('deployment_id', '=', id).execute();
      const result = await trx
        .deleteFrom('deployments')
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound('deployment', id);
    });
  }

  /** Removes deployments already marked deleted, with their kept jobs (when what they refer to goes). */
  async purgeDeleted(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const jobIds = this.db.selectFrom('jobs').select('id').where('deployment_id', 'in', ids);
    await this.db.deleteFrom('job_failures').where('job_id', 'in', jobIds).execute();
    await this.db.deleteFrom('jobs').where('deployment_id', 'in', ids).execute();
    await this.db.deleteFrom('deployments').where('id', 'in', ids).execute();
  }
}

/** The unique index's refusal (two saves of one name at once) as `REPO_CONFLICT`; other errors as they are. */
function nameClash(error: unknown, name: string): never {
  if (/unique|duplicate key/i.test(error instanceof Error ? error.message : String(error)))
    throw new RepositoryError(
      'REPO_CONFLICT',
      `a deployment named ${JSON.stringify(name)} already exists: choose another name`,
    );
  throw error;
}

/** `"a", "b"`: deployments named in a message, at most 5. */
export function nameDeployments(refs: DeploymentRef[]): string {
  const shown = refs.slice(0, 5).map((d) => JSON.stringify(d.name));
  return refs.length > 5 ? `${shown.join(', ')} and ${refs.length - 5} more` : shown.join(', ');
}
