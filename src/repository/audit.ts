import type { Kysely, Selectable } from 'kysely';
import { newId, now } from './ids.js';
import type { Page } from './paging.js';
import type { AuditLogTable, Database } from './types.js';

export type AuditRow = Selectable<AuditLogTable>;

/** What the audit log can be filtered by. */
export interface AuditFilter {
  /** One key's entries. */
  keyId?: string;
  /** `ok` (status < 400) or `refused` (status ≥ 400). */
  outcome?: 'ok' | 'refused';
  /** Entries at or after this ISO time. */
  since?: string;
}

/** The audit log: one row per write request (who, what, when, outcome); append-only. */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: Omit<AuditRow, 'id' | 'at'>): Promise<AuditRow> {
    const row: AuditRow = { id: newId(), at: now(), ...entry };
    await this.db.insertInto('audit_log').values(row).execute();
    return row;
  }

  /** A page of entries, newest first, with the total of the same filter. */
  async list(filter: AuditFilter, page: { limit: number; offset: number }): Promise<Page<AuditRow>> {
    let query = this.db.selectFrom('audit_log');
    if (filter.keyId) query = query.where('key_id', '=', filter.keyId);
    if (filter.outcome === 'ok') query = query.where('status', '<', 400);
    if (filter.outcome === 'refused') query = query.where('status', '>=', 400);
    if (filter.since) query = query.where('at', '>=', filter.since);
    const items = await query
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const { n } = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { items, total: Number(n) };
  }
}
