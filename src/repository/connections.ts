import type { Kysely, Selectable } from 'kysely';
import { type DeploymentRef, nameDeployments } from './deployments.js';
import { notFound, RepositoryError } from './errors.js';
import { newestFirst } from './paging.js';
import { inTransaction } from './transaction.js';
import type { ConnectionsTable, Database } from './types.js';

export type ConnectionRow = Selectable<ConnectionsTable>;

/** Stored connections (S3/COS endpoints with sealed keys, or local folders). */
export class ConnectionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ConnectionRow): Promise<ConnectionRow> {
    try {
      await this.db.insertInto('connections').values(row).execute();
    } catch (error) {
      if (/unique|duplicate key/i.test(String(error)))
        throw new RepositoryError(
          'REPO_CONFLICT',
          `a connection named ${JSON.stringify(row.name)} already exists`,
        );
      throw error;
    }
    return row;
  }

  /** The connection with this id or name; `REPO_NOT_FOUND` otherwise. */
  async get(idOrName: string): Promise<ConnectionRow> {
    const row =
      (await this.db.selectFrom('connections').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
      (await this.db.selectFrom('connections').selectAll().where('name', '=', idOrName).executeTakeFirst());
    if (!row) throw notFound('connection', idOrName);
    return row;
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: ConnectionRow[]; total: number }> {
    return newestFirst(this.db.selectFrom('connections').selectAll(), page);
  }

  /** The (not deleted) deployments that read or write through a connection. */
  async usersOf(id: string): Promise<DeploymentRef[]> {
    return this.db
      .selectFrom('deployments')
      .select(['id', 'name'])
      .where((eb) => eb.or([eb('source_connection_id', '=', id), eb('target_connection_id', '=', id)]))
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute();
  }

  /**
   * Deletes a connection; `REPO_IN_USE` (naming them) while a deployment reads or writes through it. Deleted
   * deployments whose job records were kept lose their reference to it.
   */
  async delete(id: string): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const row = await trx.selectFrom('connections').select('name').where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('connection', id);
      const users = await new ConnectionStore(trx).usersOf(id);
      if (users.length > 0)
        throw new RepositoryError(
          'REPO_IN_USE',
          `connection ${JSON.stringify(row.name)} is used by ${users.length === 1 ? 'deployment' : 'deployments'} ${nameDeployments(users)}: delete ${users.length === 1 ? 'it' : 'them'} first`,
        );
      await trx
        .updateTable('deployments')
        .set({ source_connection_id: null })
        .where('source_connection_id', '=', id)
        .execute();
      await trx
        .updateTable('deployments')
        .set({ target_connection_id: null })
        .where('target_connection_id', '=', id)
        .execute();
      await trx.deleteFrom('connections').where('id', '=', id).execute();
    });
  }

  /** Deletes connections no deployment uses any more among `ids` (those made inline by a v3 deployment). */
  async deleteUnused(ids: string[]): Promise<void> {
    for (const id of ids) {
      try {
        await this.delete(id);
      } catch (error) {
        if (!(error instanceof RepositoryError)) throw error;
      }
    }
  }
}
