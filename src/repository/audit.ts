import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
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

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7-style id: the time in ms, then a counter within the ms, then random bits; so ids sort in the order
 * entries were made (in one process), and `at` is the same instant.
 */
function timeOrderedId(): { id: string; at: string } {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  const hex = ms.toString(16).padStart(12, '0');
  const rand = randomBytes(8).toString('hex');
  const variant = ((Number.parseInt(rand[0], 16) & 0x3) | 0x8).toString(16);
  const id = `${hex.slice(0, 8)}-${hex.slice(8)}-7${counter.toString(16).padStart(3, '0')}-${variant}${rand.slice(1, 4)}-${rand.slice(4, 16)}`;
  return { id, at: new Date(ms).toISOString() };
}

/** The audit log: one row per write request (who, what, when, outcome); append-only. */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: Omit<AuditRow, 'id' | 'at'>): Promise<AuditRow> {
    const row: AuditRow = { ...timeOrderedId(), ...entry };
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
