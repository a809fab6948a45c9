import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { notFound } from './errors.js';
import { newId, now } from './ids.js';
import type { ApiKeysTable, Database } from './types.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

/** sha256 (hex) of an API key: what is stored and looked up. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Bearer API keys, stored hashed. */
export class ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a key with its role; the returned `key` is shown once and never stored. */
  async create(
    name: string,
    role: string,
    key = `kb_${randomBytes(24).toString('base64url')}`,
  ): Promise<{ row: ApiKeyRow; key: string }> {
    const row: ApiKeyRow = {
      id: newId(),
      name,
      role,
      hash: hashApiKey(key),
      prefix: key.slice(0, 7),
      created_at: now(),
      last_used_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { row, key };
  }

  /** The key row whose hash matches, or undefined. */
  async verify(key: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('hash', '=', hashApiKey(key)).executeTakeFirst();
  }

  async touch(id: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: now() }).where('id', '=', id).execute();
  }

  async get(id: string): Promise<ApiKeyRow> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('API key', id);
    return row;
  }

  async list(): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('API key', id);
  }
}
