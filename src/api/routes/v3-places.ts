import type { WmlConnection, WmlWhere } from '../../contract/index.js';
import type { PlaceInput } from '../../service/index.js';
import { ApiError } from '../errors.js';

/**
 * A v3 input/output block → a place: a stored connection, or a new one when the block carries keys or a path.
 * `where` is the block's `source` (input) or `target` (output).
 */
export function placeOf(
  block: { type: 'cloudobjectstorage' | 'local'; connection?: WmlConnection },
  where: WmlWhere,
  kind: 'source' | 'target',
  name: string,
): PlaceInput {
  const field = `body.${kind === 'source' ? 'input' : 'output'}`;
  const suffix = `${kind}-${Math.random().toString(36).slice(2, 10)}`;
  if (block.type === 'local') {
    if (!where.path)
      throw new ApiError(422, 'VALIDATION_FAILED', `${field}.${kind}: missing field "path" (a local folder)`);
    if (block.connection)
      throw new ApiError(422, 'VALIDATION_FAILED', `${field}: a local folder takes no "connection"`);
    return { connection: { type: 'local', path: where.path, name: `v3-${name}-${suffix}` } };
  }
  if (!where.bucket) throw new ApiError(422, 'VALIDATION_FAILED', `${field}.${kind}: missing field "bucket"`);
  if (where.path)
    throw new ApiError(422, 'VALIDATION_FAILED', `${field}.${kind}: "path" is for "type": "local"`);
  const conn = block.connection;
  if (!conn) throw new ApiError(422, 'VALIDATION_FAILED', `${field}: missing field "connection"`);
  if (conn.id) {
    if (conn.access_key || conn.secret_key || conn.url)
      throw new ApiError(422, 'VALIDATION_FAILED', `${field}.connection: give "id" or keys, not both`);
    return { connection: conn.id, bucket: where.bucket, prefix: where.prefix };
  }
  if (!conn.access_key || !conn.secret_key || !conn.url)
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      `${field}.connection: needs "access_key", "secret_key" and "url"`,
    );
  return {
    connection: {
      type: 's3',
      endpoint: conn.url,
      access_key: conn.access_key,
      secret_key: conn.secret_key,
      name: `v3-${name}-${suffix}`,
    },
    bucket: where.bucket,
    prefix: where.prefix,
  };
}
