import { type SelectQueryBuilder, type Simplify, sql } from 'kysely';
import type { Database } from './types.js';

/** Tables listed newest first with a total: every one has `id` and `created_at`. */
type Listed = 'models' | 'connections' | 'deployments' | 'jobs';

/** A page of rows and how many rows the (filtered) query has in all. */
export interface Page<Row> {
  items: Row[];
  total: number;
}

/**
 * One page of a filtered `selectAll()` query, newest first (`created_at`, then `id` to break ties in a stable
 * order), with the total count of the same filter. The two columns are named with `sql.ref`: Kysely cannot
 * resolve the columns of a table chosen by a type parameter (every {@link Listed} table has both).
 */
export async function newestFirst<T extends Listed, Row>(
  query: SelectQueryBuilder<Database, T, Row>,
  page: { limit: number; offset: number },
  ties: 'asc' | 'desc' = 'asc',
): Promise<Page<Simplify<Row>>> {
  const items = await query
    .orderBy(sql.ref('created_at'), 'desc')
    .orderBy(sql.ref('id'), ties)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const { n } = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { items, total: Number(n) };
}
