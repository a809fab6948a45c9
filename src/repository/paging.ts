import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Database } from './types.js';

/** Tables listed newest first with a total: every one has `id` and `created_at`. */
type Listed = 'models' | 'connections' | 'deployments' | 'jobs';

// biome-ignore lint/complexity/noBannedTypes: Kysely's type for a query that has selected no column yet
type NoSelection = {};

/** A page of rows and how many rows the (filtered) query has in all. */
export interface Page<Row> {
  items: Row[];
  total: number;
}

/**
 * One page of a filtered query, newest first (`created_at`, then `id` to break ties in a stable order), with
 * the total count of the same filter.
 */
export async function newestFirst<T extends Listed>(
  query: SelectQueryBuilder<Database, T, NoSelection>,
  page: { limit: number; offset: number },
  ties: 'asc' | 'desc' = 'asc',
): Promise<Page<Selectable<Database[T]>>> {
  // Kysely cannot resolve column names on a table chosen by a type parameter; the four tables all have them.
  const q = query as unknown as SelectQueryBuilder<Database, 'jobs', NoSelection>;
  const items = await q
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', ties)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items: items as unknown as Selectable<Database[T]>[], total: Number(n) };
}
