/** Validation of the UI's forms: pure functions, tested on their own and shown next to each field. */

export type Errors<K extends string> = Partial<Record<K, string>>;

const NAME_MAX = 200;
const SEGMENT_BAD = (s: string) => s === '.' || s === '..';

export interface ConnectionForm {
  name: string;
  type: 's3' | 'local';
  endpoint: string;
  region: string;
  access_key: string;
  secret_key: string;
  path: string;
}

export function validateConnection(f: ConnectionForm): Errors<keyof ConnectionForm> {
  const e: Errors<keyof ConnectionForm> = {};
  if (!f.name.trim()) e.name = 'Give the connection a name.';
  else if (f.name.length > NAME_MAX) e.name = `Use at most ${NAME_MAX} characters.`;
  if (f.type === 's3') {
    if (!f.endpoint.trim())
      e.endpoint = 'Enter the endpoint URL, e.g. https://s3.us-south.cloud-object-storage.appdomain.cloud';
    else if (!/^https?:\/\/[^\s/]+/.test(f.endpoint.trim()))
      e.endpoint = 'The endpoint must start with http:// or https://';
    if (!f.access_key.trim()) e.access_key = 'Enter the HMAC access key.';
    if (!f.secret_key.trim()) e.secret_key = 'Enter the HMAC secret key.';
    if (f.access_key.trim() && f.access_key.trim() === f.secret_key.trim())
      e.secret_key = 'The secret key cannot be the access key.';
  } else if (!f.path.trim()) e.path = 'Enter the folder on the server, e.g. /data/inputs';
  else if (!f.path.trim().startsWith('/')) e.path = 'Use an absolute path (starting with /).';
  return e;
}

export interface PlaceForm {
  connection: string;
  bucket: string;
  prefix: string;
}

export interface BatchForm {
  name: string;
  description: string;
  source: PlaceForm;
  target: PlaceForm;
  batch_size: string;
  max_failures: string;
}

export type BatchField =
  | 'name'
  | 'description'
  | 'source.connection'
  | 'source.bucket'
  | 'source.prefix'
  | 'target.connection'
  | 'target.bucket'
  | 'target.prefix'
  | 'batch_size'
  | 'max_failures';

const norm = (prefix: string) => {
  const p = prefix.trim().replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
};

/** Whether two places overlap: same connection and bucket, and one prefix inside (or equal to) the other. */
export function placesOverlap(a: PlaceForm, b: PlaceForm): boolean {
  if (!a.connection || a.connection !== b.connection) return false;
  if (a.bucket.trim() !== b.bucket.trim()) return false;
  const pa = norm(a.prefix);
  const pb = norm(b.prefix);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

export function validateBatch(f: BatchForm, kinds: Record<string, 's3' | 'local'>): Errors<BatchField> {
  const e: Errors<BatchField> = {};
  if (!f.name.trim()) e.name = 'Give the deployment a name.';
  else if (f.name.length > NAME_MAX) e.name = `Use at most ${NAME_MAX} characters.`;
  if (f.description.length > 4000) e.description = 'Use at most 4000 characters.';
  for (const side of ['source', 'target'] as const) {
    const p = f[side];
    if (!p.connection) e[`${side}.connection`] = `Choose the ${side} connection.`;
    else if (kinds[p.connection] === 's3' && !p.bucket.trim())
      e[`${side}.bucket`] = `Choose the ${side} bucket.`;
    if (p.bucket.includes('/')) e[`${side}.bucket`] = 'A bucket name has no "/": put folders in the prefix.';
    if (p.prefix.split('/').some(SEGMENT_BAD)) e[`${side}.prefix`] = '"." and ".." are not allowed.';
  }
  if (!e['target.connection'] && !e['target.bucket'] && placesOverlap(f.source, f.target))
    e['target.prefix'] =
      'The target overlaps the source: outputs would be read as inputs. Use another bucket or a prefix outside the source.';
  if (f.batch_size.trim()) {
    const n = Number(f.batch_size);
    if (!Number.isInteger(n) || n < 1 || n > 65536) e.batch_size = 'A whole number from 1 to 65536.';
  }
  if (f.max_failures.trim() && !/^\s*\d+(\.\d+)?\s*%?\s*$/.test(f.max_failures))
    e.max_failures = 'A count (10) or a percentage (5%).';
  return e;
}

/** A seed-format input pasted or uploaded for online scoring: `{"values": [...]}` (or a bare array). */
export function parseOnlineInput(text: string): { values: unknown[] } | { error: string } {
  if (!text.trim()) return { error: 'Paste a seed-format input, upload a file or draw a digit.' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { error: `This is not JSON: ${(err as Error).message}` };
  }
  const values = Array.isArray(parsed) ? parsed : (parsed as { values?: unknown })?.values;
  if (!Array.isArray(values) || values.length === 0)
    return { error: 'The input needs a "values" array, as in {"values": [[[[0.0], ...]]]}.' };
  return { values };
}
