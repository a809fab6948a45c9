import type { Kysely, Selectable } from 'kysely';
import { notFound } from './errors.js';
import { newestFirst } from './paging.js';
import { inTransaction } from './transaction.js';
import type { Database, DeploymentsTable } from './types.js';

export type DeploymentRow = Selectable<DeploymentsTable>;

/** Batch and online deployments. */
export class DeploymentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: DeploymentRow): Promise<DeploymentRow> {
    await this.db.insertInto('deployments').values(row).execute();
    return row;
  }

  /** The deployment with this id; `REPO_NOT_FOUND` otherwise. */
  async get(id: string): Promise<DeploymentRow> {
    const row = await this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('deployment', id);
    return row;
  }

  async list(filter: {
    modelId?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: DeploymentRow[]; total: number }> {
    let q = this.db.selectFrom('deployments');
    if (filter.modelId) q = q.where('model_id', '=', filter.modelId);
    return newestFirst(q.selectAll(), filter);
  }

  /** Deletes a deployment and its jobs. */
  async delete(id: string): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const jobs = trx.selectFrom('jobs').select('id').where('deployment_id', '=', id);
      await trx.deleteFrom('job_failures').where('job_id', 'in', jobs).execute();
      await trx.deleteFrom('jobs').where('deployment_id', '=', id).execute();
      const result = await trx.deleteFrom('deployments').where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound('deployment', id);
    });
  }
}
