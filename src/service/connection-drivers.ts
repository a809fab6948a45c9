import { join, resolve } from 'node:path';
import { type ConnectionRow, SECRET_KEY_ENV, type SecretBox } from '../repository/index.js';
import { type BucketDriver, type Location, openBucket } from '../storage/index.js';
import { ServiceError } from './errors.js';
import type { LocalRoots } from './local-roots.js';

/** The keys sealed in a connection. */
export interface ConnectionKeys {
  access_key: string;
  secret_key: string;
}

/** A bucket (or sub-folder) and prefix inside a connection. */
export interface ConnectionPlace {
  bucket: string | null;
  prefix: string;
}

const SEGMENT_OK = (s: string) => s !== '.' && s !== '..' && !s.includes('\0') && !s.includes('\\');

/** Checks a bucket/prefix pair; `..` or `.` segments (in the bucket too: `x/../..`) and NUL are refused. */
export function checkPlace(place: ConnectionPlace, what: string): ConnectionPlace {
  const prefix = place.prefix.replace(/^\/+/, '');
  const segments = [...(place.bucket ?? '').split('/'), ...prefix.split('/')].filter((s) => s !== '');
  if (!segments.every(SEGMENT_OK))
    throw new ServiceError('SERVICE_INVALID', `${what}: "." and ".." are not allowed in a bucket or prefix`);
  return { bucket: place.bucket, prefix };
}

/** Where a connection + bucket + prefix points (no secrets). */
export function placeLocation(connection: ConnectionRow, place: ConnectionPlace): Location {
  if (connection.kind === 'local') {
    return { kind: 'fs', path: resolve(join(connection.path ?? '/', place.bucket ?? '', place.prefix)) };
  }
  if (!place.bucket) throw new ServiceError('SERVICE_INVALID', `an S3 connection needs a bucket`);
  const prefix = place.prefix === '' || place.prefix.endsWith('/') ? place.prefix : `${place.prefix}/`;
  return { kind: 's3', bucket: place.bucket, prefix, endpoint: connection.endpoint ?? undefined };
}

/**
 * Opens a driver for a place of a stored connection, unsealing its keys in memory only. Without a secret key
 * (`box` null: a worker that has none), a connection with sealed keys fails with `SERVICE_NO_SECRET_KEY`.
 */
export function openPlace(
  connection: ConnectionRow,
  place: ConnectionPlace,
  box: SecretBox | null,
  options: { roots: LocalRoots; create?: boolean; concurrency?: number },
): BucketDriver {
  const location = placeLocation(connection, place);
  if (location.kind === 'fs') {
    const path = options.roots.check(location.path, `connection ${connection.name}`);
    return openBucket({ kind: 'fs', path }, { fs: { create: options.create ?? false } });
  }
  if (connection.secret && !box)
    throw new ServiceError(
      'SERVICE_NO_SECRET_KEY',
      `connection ${connection.name} has sealed keys and this process has no secret key: set ${SECRET_KEY_ENV} to the server's key`,
    );
  const keys =
    connection.secret && box
      ? (JSON.parse(box.open(connection.secret, connection.id)) as ConnectionKeys)
      : null;
  return openBucket(location, {
    s3: {
      endpoint: connection.endpoint ?? undefined,
      region: connection.region ?? undefined,
      credentials: keys ? { accessKeyId: keys.access_key, secretAccessKey: keys.secret_key } : undefined,
      anonymous: true,
      maxSockets: Math.max(64, (options.concurrency ?? 16) * 2),
    },
  });
}
