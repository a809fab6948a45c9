import { describe, expect, it } from 'vitest';
import { describeRedis, QueueError, redisOptions } from '../../src/queue/index.js';

describe('--redis URLs', () => {
  it('reads host, port, credentials, db and TLS, and waits through a disconnection', () => {
    const o = redisOptions('rediss://user:p%40ss@cache.example:6380/2');
    expect(o).toMatchObject({ host: 'cache.example', port: 6380, username: 'user', password: 'p@ss', db: 2 });
    expect(o.tls).toEqual({});
    expect(o.maxRetriesPerRequest).toBeNull();
    expect(redisOptions('redis://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0 });
  });

  it('refuses what is not a Redis URL, with a stable code', () => {
    expect(() => redisOptions('127.0.0.1:6379')).toThrow(QueueError);
    expect(() => redisOptions('http://x')).toThrow(/redis:\/\/ or rediss:\/\//);
  });

  it('never shows the password', () => {
    expect(describeRedis('redis://:secret@h:1/0')).not.toContain('secret');
  });
});
