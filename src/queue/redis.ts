import type { RedisOptions } from 'ioredis';
import { QueueError } from './errors.js';

/**
 * ioredis options from a `redis://[user:password@]host:port[/db]` (or `rediss://`) URL, set up to outlive a
 * Redis restart: commands wait while disconnected (`maxRetriesPerRequest: null`, as BullMQ workers need) and
 * reconnect with a capped backoff. The password is never logged.
 */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError(
      'QUEUE_BAD_REDIS_URL',
      'the --redis value must be a URL like redis://127.0.0.1:6379',
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new QueueError(
      'QUEUE_BAD_REDIS_URL',
      `the --redis URL must start with redis:// or rediss://, got ${parsed.protocol}//`,
    );
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
}

/** The URL without its password, for logs and reports. */
export function describeRedis(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://?';
  }
}
