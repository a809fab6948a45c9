import type { ConnectionRow, Repository, SecretBox } from '../repository/index.js';
import { type BucketListing, isStorageError, listBuckets } from '../storage/index.js';
import { KerasBatchError } from '../util/errors.js';
import { type ConnectionKeys, type ConnectionPlace, checkPlace, openPlace } from './connection-drivers.js';
import { connectionRow } from './connection-row.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import { ServiceError } from './errors.js';
import type { NewConnectionInput, PageInput } from './inputs.js';
import type { LocalRoots } from './local-roots.js';
import { page } from './paging.js';
import { type ConnectionView, connectionView, type Page } from './views.js';

/** Largest preview of one object, in bytes. */
const PREVIEW_BYTES = 64 * 1024;
/** Most objects counted by a listing. */
const COUNT_CAP = 100_000;

export interface ObjectListing {
  items: { key: string; size: number; last_modified: string }[];
  count: number;
  count_capped: boolean;
}

export interface ObjectPreview {
  key: string;
  size: number;
  text: string;
  truncated: boolean;
}

/** A failure of the user's storage while browsing it, with the storage's code (not a server fault). */
function browseFailure(error: unknown): never {
  if (error instanceof ServiceError) throw error;
  if (isStorageError(error)) {
    const code = error.code === 'STORAGE_NOT_FOUND' ? 'STORAGE_NOT_FOUND' : 'STORAGE_UNREACHABLE';
    throw new ServiceError(code, error.message.replace(/^\[[a-z]+\] /, ''), { cause: error });
  }
  if (error instanceof KerasBatchError) throw error;
  const name = error instanceof Error ? error.name : 'Error';
  throw new ServiceError('STORAGE_UNREACHABLE', `the storage could not be reached (${name})`, {
    cause: error,
  });
}

/**
 * Connections to S3/COS endpoints and server folders: keys sealed (AES-256-GCM) and never returned; browsing
 * (buckets, objects, a preview) unseals them in memory only.
 */
export class ConnectionsService {
  constructor(
    private readonly repo: Repository,
    private readonly box: SecretBox,
    private readonly roots: LocalRoots,
    private readonly endpoints: EndpointPolicy,
  ) {}

  async create(input: NewConnectionInput): Promise<ConnectionView> {
    await this.checkEndpoint(input.endpoint);
    return connectionView(await this.repo.connections.insert(this.row(input)));
  }

  /** Refuses an S3 endpoint the server's policy does not allow (checked again at every use: DNS may change). */
  checkEndpoint(endpoint: string | null | undefined): Promise<void> {
    return this.endpoints.check(endpoint);
  }

  /** A new connection's row (keys sealed); a local folder must lie inside the server's local roots. */
  row(input: NewConnectionInput): ConnectionRow {
    if (input.type === 'local' && input.path) this.roots.check(input.path, 'the connection path');
    return connectionRow(input, this.box);
  }

  async list(p?: PageInput): Promise<Page<ConnectionView>> {
    const q = page(p);
    const { items, total } = await this.repo.connections.list(q);
    return { items: items.map(connectionView), total, ...q };
  }

  async get(idOrName: string): Promise<ConnectionView> {
    return connectionView(await this.repo.connections.get(idOrName));
  }

  /** The deployments (id, name) that read or write through a connection. */
  async usersOf(idOrName: string): Promise<{ id: string; name: string }[]> {
    return this.repo.connections.usersOf((await this.repo.connections.get(idOrName)).id);
  }

  async delete(idOrName: string): Promise<void> {
    await this.repo.connections.delete((await this.repo.connections.get(idOrName)).id);
  }

  /** Tries a connection before it is saved: its buckets (S3) or sub-folders (local). */
  async test(input: NewConnectionInput): Promise<string[]> {
    if (input.type === 'local' && !input.path)
      throw new ServiceError('SERVICE_INVALID', 'a local connection needs a path');
    if (input.type === 'local') this.roots.check(input.path as string, 'the connection path');
    if (input.type === 's3') await this.checkEndpoint(input.endpoint);
    if (input.type === 's3' && input.endpoint && !/^https?:\/\/[^\s/]+/.test(input.endpoint))
      throw new ServiceError('SERVICE_INVALID', 'the endpoint must be an http:// or https:// URL');
    const keys =
      input.access_key && input.secret_key
        ? { access_key: input.access_key, secret_key: input.secret_key }
        : null;
    return this.buckets(
      {
        kind: input.type,
        endpoint: input.endpoint ?? null,
        region: input.region ?? null,
        path: input.path ?? null,
      },
      keys,
    );
  }

  /** A stored connection's buckets (S3) or sub-folders (local). */
  async listBuckets(idOrName: string): Promise<string[]> {
    const row = await this.repo.connections.get(idOrName);
    await this.checkEndpoint(row.endpoint);
    return this.buckets(row, this.keysOf(row));
  }

  /** The first `limit` objects of a bucket/prefix, and how many there are (counted up to 100,000). */
  async listObjects(idOrName: string, place: ConnectionPlace, limit: number): Promise<ObjectListing> {
    const row = await this.repo.connections.get(idOrName);
    await this.checkEndpoint(row.endpoint);
    const driver = this.open(row, place);
    const items: ObjectListing['items'] = [];
    let count = 0;
    try {
      for await (const batch of driver.list()) {
        for (const e of batch) {
          count += 1;
          if (items.length < limit)
            items.push({ key: e.key, size: e.size, last_modified: e.lastModified.toISOString() });
        }
        if (count >= COUNT_CAP) break;
      }
    } catch (error) {
      browseFailure(error);
    } finally {
      await driver.close();
    }
    return { items, count, count_capped: count >= COUNT_CAP };
  }

  /** A text preview of one object (its first 64 KiB; nothing of an object over 16 MiB). */
  async previewObject(idOrName: string, place: ConnectionPlace, key: string): Promise<ObjectPreview> {
    const row = await this.repo.connections.get(idOrName);
    await this.checkEndpoint(row.endpoint);
    if (key.split('/').some((s) => s === '..' || s === '.'))
      throw new ServiceError('SERVICE_INVALID', '"." and ".." are not allowed in a key');
    const driver = this.open(row, place);
    try {
      const info = await driver.head(key);
      if (!info) throw new ServiceError('STORAGE_NOT_FOUND', `no object ${key}`);
      if (info.size > 16 * 1024 * 1024) return { key, size: info.size, text: '', truncated: true };
      const obj = await driver.get(key);
      const text = new TextDecoder().decode(obj.body.subarray(0, PREVIEW_BYTES));
      return { key, size: obj.size, text, truncated: obj.body.byteLength > PREVIEW_BYTES };
    } catch (error) {
      return browseFailure(error);
    } finally {
      await driver.close();
    }
  }

  private open(row: ConnectionRow, place: ConnectionPlace) {
    if (row.kind === 's3' && !place.bucket) throw new ServiceError('SERVICE_INVALID', 'choose a bucket');
    try {
      return openPlace(row, checkPlace(place, 'place'), this.box, { roots: this.roots });
    } catch (error) {
      return browseFailure(error);
    }
  }

  private keysOf(row: ConnectionRow): ConnectionKeys | null {
    return row.secret ? (JSON.parse(this.box.open(row.secret, row.id)) as ConnectionKeys) : null;
  }

  private async buckets(
    row: Pick<ConnectionRow, 'kind' | 'endpoint' | 'region' | 'path'>,
    keys: ConnectionKeys | null,
  ): Promise<string[]> {
    const target: BucketListing =
      row.kind === 'local'
        ? { kind: 'fs', path: this.roots.check(row.path ?? '/', 'the connection path') }
        : {
            kind: 's3',
            endpoint: row.endpoint ?? undefined,
            region: row.region ?? undefined,
            credentials: keys
              ? { accessKeyId: keys.access_key, secretAccessKey: keys.secret_key }
              : undefined,
            anonymous: true,
          };
    return listBuckets(target).catch(browseFailure);
  }
}
