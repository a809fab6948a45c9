import { type BucketDriver, openBucket, type S3Credentials } from '../storage/index.js';
import { QueueError } from './errors.js';
import type { ShardRepository } from './shard-repository.js';
import type { ShardData, ShardPlace } from './types.js';

/**
 * The source and target drivers of a worker's shards, opened once per place and shared by every shard: a
 * location text with the worker's own credentials (`score --redis`), or a stored connection's place through
 * the repository (`serve --redis`).
 */
export class ShardBuckets {
  private readonly drivers = new Map<string, Promise<BucketDriver>>();

  constructor(
    private readonly credentials: S3Credentials | undefined,
    private readonly repository: ShardRepository | undefined,
  ) {}

  /** The shard's source (`create` false) or target (`create` true). */
  open(data: ShardData, which: 'source' | 'target'): Promise<BucketDriver> {
    const create = which === 'target';
    const place = data.places?.[which];
    const key = place
      ? `place\u0000${place.connectionId}\u0000${place.bucket ?? ''}\u0000${place.prefix}\u0000${create}`
      : `text\u0000${data[which]}\u0000${data.bucket.endpoint ?? ''}\u0000${create}`;
    let driver = this.drivers.get(key);
    if (!driver) {
      driver = place
        ? this.openPlace(place, create, data.concurrency)
        : Promise.resolve(
            openBucket(data[which], {
              fs: { create },
              s3: {
                ...data.bucket,
                credentials: this.credentials,
                maxSockets: Math.max(64, data.concurrency * 2),
              },
            }),
          );
      this.drivers.set(key, driver);
      driver.catch(() => this.drivers.delete(key));
    }
    return driver;
  }

  private async openPlace(place: ShardPlace, create: boolean, concurrency: number): Promise<BucketDriver> {
    if (!this.repository) throw noRepository();
    return this.repository.openPlace(place, { create, concurrency });
  }

  async close(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.all(all.map((d) => d.then((x) => x.close()).catch(() => undefined)));
  }
}

/** A `serve --redis` shard taken by a worker started without the repository. */
export const noRepository = (): QueueError =>
  new QueueError(
    'QUEUE_NO_REPOSITORY',
    'this job uses stored models and connections, and a worker has no repository: start workers with ' +
      "--data-dir (the server's data dir) or DATABASE_URL, and KERAS_BATCH_SECRET_KEY for S3 connections",
  );
