import type { Kysely, Selectable } from 'kysely';
import { type DeploymentRef, DeploymentStore, nameDeployments } from './deployments.js';
import { notFound, RepositoryError } from './errors.js';
import { now } from './ids.js';
import { newestFirst } from './paging.js';
import { inTransaction } from './transaction.js';
import type { Database, ModelsTable, ModelVersionsTable } from './types.js';

export type ModelRow = Selectable<ModelsTable>;
export type ModelVersionRow = Selectable<ModelVersionsTable>;

/** A version to add; its number is assigned by {@link ModelStore.addVersion}. */
export type NewModelVersion = Omit<ModelVersionRow, 'version'>;

const isUniqueViolation = (error: unknown) =>
  /unique|duplicate key/i.test(error instanceof Error ? error.message : String(error));

/** Models and their versions. */
export class ModelStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a model (no versions yet). A name already taken fails with `REPO_CONFLICT`. */
  async insertModel(row: ModelRow): Promise<ModelRow> {
    try {
      await this.db.insertInto('models').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error))
        throw new RepositoryError(
          'REPO_CONFLICT',
          `a model named ${JSON.stringify(row.name)} already exists`,
        );
      throw error;
    }
    return row;
  }

  /** The model with this id or name, or undefined. */
  async findModel(idOrName: string): Promise<ModelRow | undefined> {
    const byId = await this.db.selectFrom('models').selectAll().where('id', '=', idOrName).executeTakeFirst();
    return byId ?? this.db.selectFrom('models').selectAll().where('name', '=', idOrName).executeTakeFirst();
  }

  /** The model with this id or name; `REPO_NOT_FOUND` otherwise. */
  async getModel(idOrName: string): Promise<ModelRow> {
    const row = await this.findModel(idOrName);
    if (!row) throw notFound('model', idOrName);
    return row;
  }

  async listModels(page: { limit: number; offset: number }): Promise<{ items: ModelRow[]; total: number }> {
    return newestFirst(this.db.selectFrom('models').selectAll(), page);
  }

  /** Adds a version with the next number, atomically. */
  async addVersion(row: NewModelVersion): Promise<ModelVersionRow> {
    return inTransaction(this.db, async (trx) => {
      // One atomic increment (row-locked on PostgreSQL) so concurrent uploads get distinct numbers.
      const bumped = await trx
        .updateTable('models')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at: row.created_at }))
        .where('id', '=', row.model_id)
        .returning('latest_version')
        .executeTakeFirst();
      if (!bumped) throw notFound('model', row.model_id);
      const full = { ...row, version: Number(bumped.latest_version) };
      await trx.insertInto('model_versions').values(full).execute();
      return full;
    });
  }

  async listVersions(modelId: string): Promise<ModelVersionRow[]> {
    return this.db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_id', '=', modelId)
      .orderBy('version', 'desc')
      .execute();
  }

  /** A version by its id; `REPO_NOT_FOUND` otherwise. */
  async getVersion(versionId: string): Promise<ModelVersionRow> {
    const row = await this.db
      .selectFrom('model_versions')
      .selectAll()
      .where('id', '=', versionId)
      .executeTakeFirst();
    if (!row) throw notFound('model version', versionId);
    return row;
  }

  /** Version `n` of a model, or its latest when `n` is undefined; `REPO_NOT_FOUND` otherwise. */
  async getVersionOf(modelId: string, n?: number): Promise<ModelVersionRow> {
    let q = this.db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId);
    q = n === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', n);
    const row = await q.executeTakeFirst();
    if (!row) throw notFound('model version', n === undefined ? `${modelId} (latest)` : `${modelId} v${n}`);
    return row;
  }

  /** Renames a model or changes its description; a name another model has fails with `REPO_CONFLICT`. */
  async updateModel(id: string, patch: { name?: string; description?: string }): Promise<ModelRow> {
    try {
      const result = await this.db
        .updateTable('models')
        .set({ ...patch, updated_at: now() })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw notFound('model', id);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new RepositoryError(
          'REPO_CONFLICT',
          `a model named ${JSON.stringify(patch.name)} already exists: choose another name`,
        );
      throw error;
    }
    return this.getModel(id);
  }

  /** The (not deleted) deployments that use a model. */
  async usersOf(id: string): Promise<DeploymentRef[]> {
    return this.db
      .selectFrom('deployments')
      .select(['id', 'name'])
      .where('model_id', '=', id)
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute();
  }

  /**
   * Deletes a model and its versions; fails with `REPO_IN_USE` (naming them) while a deployment uses it.
   * Deployments deleted earlier with their job records kept go with it (their records refer to its versions).
   */
  async deleteModel(id: string): Promise<ModelVersionRow[]> {
    return inTransaction(this.db, async (trx) => {
      const model = await trx.selectFrom('models').select('name').where('id', '=', id).executeTakeFirst();
      if (!model) throw notFound('model', id);
      const users = await new ModelStore(trx).usersOf(id);
      if (users.length > 0)
        throw new RepositoryError(
          'REPO_IN_USE',
          `model ${JSON.stringify(model.name)} is used by ${users.length === 1 ? 'deployment' : 'deployments'} ${nameDeployments(users)}: delete ${users.length === 1 ? 'it' : 'them'} first`,
        );
      const deleted = await trx.selectFrom('deployments').select('id').where('model_id', '=', id).execute();
      await new DeploymentStore(trx).purgeDeleted(deleted.map((d) => d.id));
      const versions = await trx
        .selectFrom('model_versions')
        .selectAll()
        .where('model_id', '=', id)
        .execute();
      await trx.deleteFrom('model_versions').where('model_id', '=', id).execute();
      await trx.deleteFrom('models').where('id', '=', id).execute();
      return versions;
    });
  }
}
