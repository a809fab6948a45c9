import { readFile } from 'node:fs/promises';
import type { BucketDriver, Location, WmlCosConnection } from '../storage/index.js';
import { openBucket, parseLocation } from '../storage/index.js';
import { KerasBatchError } from '../util/errors.js';

export interface BucketCliOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  /** A JSON file with WML-style COS keys: {"access_key", "secret_key", "url"}. */
  connection?: string;
  concurrency?: number;
  /** Create a missing target folder (never a missing source). */
  create?: boolean;
}

/** Reads a WML-style connection file; the keys stay in memory and never reach messages. */
export async function readConnection(path: string): Promise<WmlCosConnection> {
  let parsed: Partial<WmlCosConnection>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<WmlCosConnection>;
  } catch (error) {
    throw new KerasBatchError(
      'cli',
      'CLI_BAD_CONNECTION',
      `${path}: not a readable JSON connection file (${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'})`,
    );
  }
  if (!parsed.access_key || !parsed.secret_key) {
    throw new KerasBatchError(
      'cli',
      'CLI_BAD_CONNECTION',
      `${path}: a connection file needs "access_key" and "secret_key" (and "url" for the endpoint)`,
    );
  }
  return { access_key: parsed.access_key, secret_key: parsed.secret_key, url: parsed.url ?? '' };
}

/** Opens a source or target location given on the command line. */
export async function openCliBucket(
  text: string,
  options: BucketCliOptions,
): Promise<{ location: Location; driver: BucketDriver }> {
  const location = parseLocation(text);
  const connection = options.connection ? await readConnection(options.connection) : undefined;
  const driver = openBucket(location, {
    fs: { create: options.create ?? false },
    s3: {
      endpoint: options.endpoint ?? (connection?.url || undefined),
      region: options.region,
      profile: options.profile,
      credentials: connection
        ? { accessKeyId: connection.access_key, secretAccessKey: connection.secret_key }
        : undefined,
      maxSockets: Math.max(64, (options.concurrency ?? 16) * 2),
    },
  });
  return { location, driver };
}
