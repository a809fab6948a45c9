import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.js';

/**
 * Runs `fn` in a transaction, or inside the caller's when `db` already is one (a store used by a
 * `Repository.transaction` must not open a nested transaction, which Kysely refuses).
 */
export function inTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute((trx: Transaction<Database>) => fn(trx));
}
