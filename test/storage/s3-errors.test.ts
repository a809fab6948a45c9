import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/storage/errors.js';
import { resolveS3Options } from '../../src/storage/s3-config.js';
import { s3Error, scrub } from '../../src/storage/s3-errors.js';

const sdkError = (name: string, status?: number, message = 'msg', code?: string) =>
  Object.assign(new Error(message), {
    name,
    code,
    $metadata:
      status === undefined ? { attempts: 3 } : { httpStatusCode: status, requestId: 'R1', attempts: 3 },
  });

describe('s3Error', () => {
  const map = (e: unknown) => s3Error(e, 'get "k" in s3://b/', ['SECRETVALUE', undefined]);

  it('maps SDK and network errors to codes and retryability', () => {
    const cases: [unknown, string, boolean][] = [
      [sdkError('NoSuchKey', 404), 'STORAGE_NOT_FOUND', false],
      [sdkError('NoSuchBucket', 404), 'STORAGE_NOT_FOUND', false],
      [sdkError('NotFound', 404), 'STORAGE_NOT_FOUND', false],
      [sdkError('AccessDenied', 403), 'STORAGE_ACCESS_DENIED', false],
      [sdkError('InvalidAccessKeyId', 403), 'STORAGE_ACCESS_DENIED', false],
      [sdkError('SignatureDoesNotMatch', 403), 'STORAGE_ACCESS_DENIED', false],
      [sdkError('SlowDown', 503), 'STORAGE_UNAVAILABLE', true],
      [sdkError('InternalError', 500), 'STORAGE_UNAVAILABLE', true],
      [sdkError('TooManyRequests', 429), 'STORAGE_UNAVAILABLE', true],
      [
        sdkError('Error', undefined, 'connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
        'STORAGE_UNREACHABLE',
        true,
      ],
      [sdkError('Error', undefined, 'socket hang up', 'ECONNRESET'), 'STORAGE_UNREACHABLE', true],
      [sdkError('TimeoutError', undefined, 'timed out', 'ETIMEDOUT'), 'STORAGE_UNREACHABLE', true],
      [
        sdkError('CredentialsProviderError', undefined, 'Could not load credentials'),
        'STORAGE_CONFIG',
        false,
      ],
      [sdkError('InvalidArgument', 400), 'STORAGE_IO', false],
    ];
    for (const [error, code, retryable] of cases) {
      const mapped = map(error);
      expect(mapped, String((error as Error).name)).toBeInstanceOf(StorageError);
      expect(mapped.code, (error as Error).name).toBe(code);
      expect(mapped.retryable, (error as Error).name).toBe(retryable);
      expect(mapped.part).toBe('storage');
    }
  });

  it('names the operation, status and attempts, and scrubs secrets', () => {
    const mapped = map(sdkError('SignatureDoesNotMatch', 403, 'bad signature for SECRETVALUE'));
    expect(mapped.message).toBe(
      '[storage] get "k" in s3://b/ failed: bad signature for *** (SignatureDoesNotMatch, HTTP 403, after 3 attempts, request id R1)',
    );
    expect(String((mapped.cause as Error).message)).not.toContain('SECRETVALUE');
    expect(scrub('a SECRETVALUE b SECRETVALUE', ['SECRETVALUE'])).toBe('a *** b ***');
  });
});

describe('resolveS3Options', () => {
  it('folds in a WML connection and defaults path style for custom endpoints', () => {
    const o = resolveS3Options({
      bucket: 'b',
      prefix: '/in',
      connection: {
        access_key: 'ak',
        secret_key: 'sk',
        url: 'https://s3.us-south.cloud-object-storage.appdomain.cloud',
      },
    });
    expect(o.credentials).toEqual({ accessKeyId: 'ak', secretAccessKey: 'sk' });
    expect(o.endpoint).toBe('https://s3.us-south.cloud-object-storage.appdomain.cloud');
    expect(o.forcePathStyle).toBe(true);
    expect(o.prefix).toBe('in/');
    expect(o.maxAttempts).toBe(5);
    expect(resolveS3Options({ bucket: 'b' }).forcePathStyle).toBe(false);
  });

  it('refuses options that cannot work, without echoing secrets', () => {
    const bad = [
      { bucket: '' },
      { bucket: 'b', endpoint: 'not a url' },
      { bucket: 'b', endpoint: 'ftp://host' },
      { bucket: 'b', maxAttempts: 0 },
      { bucket: 'b', maxSockets: -1 },
      { bucket: 'b', connection: { access_key: 'ak', secret_key: '', url: 'http://h' } },
    ];
    for (const options of bad) {
      expect(() => resolveS3Options(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'STORAGE_CONFIG' }),
      );
    }
  });
});
