import type { Repository } from '../repository/index.js';

/** An API key as listed: never the key itself, only its first characters. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

/** Bearer API keys of the server, stored hashed (sha256); a new key is shown once. */
export class KeysService {
  constructor(private readonly repo: Repository) {}

  async create(name: string): Promise<{ id: string; key: string }> {
    const { row, key } = await this.repo.apiKeys.create(name);
    return { id: row.id, key };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.repo.apiKeys.list()).map(({ id, name, prefix, created_at, last_used_at }) => ({
      id,
      name,
      prefix,
      created_at,
      last_used_at,
    }));
  }

  async count(): Promise<number> {
    return this.repo.apiKeys.count();
  }

  async delete(id: string): Promise<void> {
    await this.repo.apiKeys.delete(id);
  }

  /** The id of the key, or null when it is unknown. */
  async verify(key: string): Promise<string | null> {
    return (await this.repo.apiKeys.verify(key))?.id ?? null;
  }

  /** Whether the key of this id exists (a token names its key by id). */
  async exists(id: string): Promise<boolean> {
    return (await this.repo.apiKeys.list()).some((k) => k.id === id);
  }

  /** Records that a key was used (at most as often as the caller asks). */
  async touch(id: string): Promise<void> {
    await this.repo.apiKeys.touch(id);
  }
}
