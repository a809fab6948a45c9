import type { ApiKeyRow, AuditRow, Repository } from '../repository/index.js';
import { ServiceError } from './errors.js';
import type { PageInput } from './inputs.js';
import { page } from './paging.js';

/**
 * What an API key may do. `admin`: everything (keys, connections, the audit log); `editor`: models,
 * deployments, jobs; `viewer`: read only; `scorer`: online scoring only.
 */
export const ROLES = ['admin', 'editor', 'viewer', 'scorer'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

/** An API key as listed: never the key itself, only its first characters. */
export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

/** Who a verified key is. */
export interface KeyIdentity {
  id: string;
  name: string;
  role: Role;
}

/** One audit log entry. */
export type AuditEntryView = AuditRow;

/** What {@link KeysService.audit} lists. */
export interface AuditQuery extends PageInput {
  key?: string;
  outcome?: 'ok' | 'refused';
  since?: string;
}

/** A role read from the database; an unknown text (written by hand) gets no rights beyond `viewer`'s reads. */
const roleOf = (text: string): Role => (isRole(text) ? text : 'viewer');

const view = ({ id, name, role, prefix, created_at, last_used_at }: ApiKeyRow): ApiKeyView => ({
  id,
  name,
  role: roleOf(role),
  prefix,
  created_at,
  last_used_at,
});

/**
 * Bearer API keys of the server, stored hashed (sha256), each with a role; a new key is shown once. Also the
 * audit log of write requests.
 */
export class KeysService {
  constructor(private readonly repo: Repository) {}

  /** Creates a key. The default role is `admin`: the caller holds the data dir (the CLI, `serve`'s first key). */
  async create(name: string, role: Role = 'admin'): Promise<{ id: string; key: string; role: Role }> {
    if (!isRole(role))
      throw new ServiceError('SERVICE_INVALID', `role "${String(role)}": use one of ${ROLES.join(', ')}`);
    const trimmed = name.trim();
    if (!trimmed) throw new ServiceError('SERVICE_INVALID', 'an API key needs a name');
    const { row, key } = await this.repo.apiKeys.create(trimmed, role);
    return { id: row.id, key, role };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.repo.apiKeys.list()).map(view);
  }

  async get(id: string): Promise<ApiKeyView> {
    return view(await this.repo.apiKeys.get(id));
  }

  async count(): Promise<number> {
    return this.repo.apiKeys.count();
  }

  /**
   * Deletes a key. With `keepAnAdmin` (the API), the last admin key is refused: nobody could manage keys over
   * HTTP any more. The operator on the data dir may (`keras-batch apikey create` makes another).
   */
  async delete(id: string, options: { keepAnAdmin?: boolean } = {}): Promise<void> {
    if (options.keepAnAdmin) {
      const keys = await this.repo.apiKeys.list();
      const target = keys.find((k) => k.id === id);
      if (
        target &&
        roleOf(target.role) === 'admin' &&
        keys.filter((k) => roleOf(k.role) === 'admin').length === 1
      )
        throw new ServiceError(
          'SERVICE_LAST_ADMIN',
          `API key "${target.name}" is the last admin key: create another admin key before deleting it`,
        );
    }
    await this.repo.apiKeys.delete(id);
  }

  /** Who the key is, or null when it is unknown. */
  async verify(key: string): Promise<KeyIdentity | null> {
    const row = await this.repo.apiKeys.verify(key);
    return row ? { id: row.id, name: row.name, role: roleOf(row.role) } : null;
  }

  /** Who the key of this id is (a token names its key by id), or null when it no longer exists. */
  async identity(id: string): Promise<KeyIdentity | null> {
    const row = (await this.repo.apiKeys.list()).find((k) => k.id === id);
    return row ? { id: row.id, name: row.name, role: roleOf(row.role) } : null;
  }

  /** Records that a key was used (at most as often as the caller asks). */
  async touch(id: string): Promise<void> {
    await this.repo.apiKeys.touch(id);
  }

  /** Appends one write request to the audit log. */
  async record(entry: Omit<AuditEntryView, 'id' | 'at'>): Promise<void> {
    await this.repo.audit.append(entry);
  }

  /** The audit log, newest first, paged. */
  async audit(query: AuditQuery = {}) {
    const p = page(query);
    const since = query.since ? new Date(query.since) : undefined;
    if (since && Number.isNaN(since.getTime()))
      throw new ServiceError('SERVICE_INVALID', `since "${query.since}" is not a date/time`);
    const result = await this.repo.audit.list(
      { keyId: query.key, outcome: query.outcome, since: since?.toISOString() },
      p,
    );
    return { ...result, ...p };
  }
}
