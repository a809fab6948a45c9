import type { Kysely, Selectable } from 'kysely';
import { notFound, RepositoryError } from './errors.js';
import { newestFirst } from './paging.js';
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

  /** Deletes a connection; `REPO_IN_USE` while a deployment reads or writes through it. */
  async delete(id: string): Promise<void> {
    const used = await this.db
      .selectFrom('deployments')
      .select('id')
      .where((eb) => eb.or([eb('source_connection_id', '=', id), eb('target_connection_id', '=', id)]))
      .executeTakeFirst();
    if (used)
      throw new RepositoryError(
        'REPO_IN_USE',
        `connection ${id} is used by deployment ${used.id}: delete it first`,
      );
    const result = await this.db.deleteFrom('connections').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('connection', id);
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
