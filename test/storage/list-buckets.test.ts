import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listBuckets } from '../../src/storage/index.js';

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('listing the buckets of an endpoint that cannot be reached', () => {
  it('says what is wrong in words, with the network code, and never the keys', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const secret = 'very-secret-key-0123456789';
    const error = await listBuckets({
      kind: 's3',
      endpoint,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret },
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(`the endpoint ${endpoint} cannot be reached`);
    expect(message).toContain('(ECONNREFUSED)');
    expect(message).not.toContain(secret);
  });
});
