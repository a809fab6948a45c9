import { type ConnectionRow, maskHint, newId, now, type SecretBox } from '../repository/index.js';
import { ServiceError } from './errors.js';
import type { NewConnectionInput } from './inputs.js';

const text = (v: string | undefined) => (v ?? '').trim();

/** A connection row from the input: the endpoint checked, S3 keys sealed, a masked hint of the access key. */
export function connectionRow(input: NewConnectionInput, box: SecretBox): ConnectionRow {
  const id = newId();
  let row: ConnectionRow;
  if (input.type === 'local') {
    if (!text(input.path)) throw new ServiceError('SERVICE_INVALID', 'a local connection needs a path');
    if (input.access_key || input.secret_key || input.endpoint)
      throw new ServiceError('SERVICE_INVALID', 'a local connection takes a path only (no endpoint or keys)');
    row = {
      id,
      name: '',
      kind: 'local',
      endpoint: null,
      region: null,
      path: text(input.path),
      secret: null,
      hint: null,
      created_at: now(),
    };
  } else {
    if (input.endpoint) {
      let url: URL;
      try {
        url = new URL(input.endpoint);
      } catch {
        throw new ServiceError(
          'SERVICE_INVALID',
          'the endpoint is not a URL (expected http(s)://host[:port])',
        );
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new ServiceError('SERVICE_INVALID', 'the endpoint must be an http or https URL');
      if (url.username || url.password)
        throw new ServiceError(
          'SERVICE_INVALID',
          'put keys in access_key/secret_key, not in the endpoint URL',
        );
    }
    if (Boolean(input.access_key) !== Boolean(input.secret_key))
      throw new ServiceError('SERVICE_INVALID', 'give both access_key and secret_key (or neither)');
    const secret = input.access_key
      ? box.seal(JSON.stringify({ access_key: input.access_key, secret_key: input.secret_key }), id)
      : null;
    row = {
      id,
      name: '',
      kind: 's3',
      endpoint: input.endpoint ? input.endpoint.replace(/\/+$/, '') : null,
      region: input.region ?? null,
      path: null,
      secret,
      hint: input.access_key ? maskHint(input.access_key) : null,
      created_at: now(),
    };
  }
  row.name = text(input.name) || `${row.kind}-${id.slice(0, 8)}`;
  return row;
}
