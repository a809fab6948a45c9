import { type BucketDriver, type ObjectEntry, openObjectStream, putObjectStream } from '../storage/index.js';
import type { ShardEntry } from './types.js';

/**
 * A source driver that lists only a shard's inputs (as the coordinator listed them) and reads through to the
 * real source: the batch runner scores a shard exactly as it scores a whole listing.
 */
export function shardSource(source: BucketDriver, entries: readonly ShardEntry[]): BucketDriver {
  const page: ObjectEntry[] = entries.map(([key, etag, size]) => ({
    key,
    etag,
    size,
    lastModified: new Date(0),
  }));
  return {
    kind: source.kind,
    fsOptions: source.fsOptions,
    async *list() {
      if (page.length > 0) yield page;
    },
    get: (key) => source.get(key),
    put: (key, body, options) => source.put(key, body, options),
    getStream: source.getStream ? (key, range) => openObjectStream(source, key, range) : undefined,
    putStream: source.putStream
      ? (key, body, options) => putObjectStream(source, key, body, options)
      : undefined,
    head: (key) => source.head(key),
    delete: (key) => source.delete(key),
    describe: () => source.describe(),
    // The real driver is shared by every shard of the worker: it is closed when the worker stops.
    close: async () => undefined,
  };
}
