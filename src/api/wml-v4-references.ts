/**
 * WML v4 data references → our places. A reference is a stored connection (`connection.id`, any `type`),
 * inline S3/COS keys (`type: "s3"`/`"connection_asset"` with `connection: {endpoint_url, access_key_id,
 * secret_access_key}`) and `location: {bucket, path | file_name}`, or a local path (`type: "fs"`,
 * `location: {path}`). An input naming one file (`.json`, `.jsonl`, `.csv`, `.zip`...) reads that file only; an
 * output names a folder.
 */
import { posix } from 'node:path';
import type { DataReference, V4JobInput } from '../contract/index.js';
import type { NewDeploymentJobInput, PlaceInput } from '../service/index.js';
import { ApiError } from './errors.js';

const INPUT_FILE = /\.(json|jsonl|ndjson|jsonl\.gz|ndjson\.gz|csv|tsv|zip)$/i;
const LOCAL = new Set(['fs', 'file', 'local']);
const invalid = (message: string) => new ApiError(422, 'VALIDATION_FAILED', message);

/** A glob that matches exactly this name (its glob characters escaped). */
const literalGlob = (name: string) => name.replace(/[\\*?[\]{}()!@+|]/g, (c) => `\\${c}`);

interface Resolved {
  place: PlaceInput;
  /** The one file an input names (its name in the place's folder). */
  file?: string;
  /** Whether it stores a new connection (inline keys or a local path): admin only. */
  newConnection: boolean;
}

function resolve(ref: DataReference, field: string, kind: 'source' | 'target'): Resolved {
  const type = ref.type.toLowerCase();
  const where = ref.location;
  const key = (where.file_name ?? where.path ?? '').replace(/^\/+/, '');
  const single = kind === 'source' && INPUT_FILE.test(key);
  const folder = single ? posix.dirname(key).replace(/^\.$/, '') : key;
  const file = single ? posix.basename(key) : undefined;
  if (LOCAL.has(type)) {
    const path = where.path ?? where.file_name;
    if (!path?.startsWith('/'))
      throw invalid(`${field}.location: missing field "path" (an absolute local path)`);
    if (ref.connection && Object.keys(ref.connection).length > 0)
      throw invalid(`${field}: a local path takes no "connection"`);
    const dir = single ? posix.dirname(path) : path;
    return { place: { connection: { type: 'local', path: dir } }, file, newConnection: true };
  }
  if (type === 'data_asset')
    throw invalid(`${field}: "data_asset" references are not served here (use "s3" or a stored connection)`);
  const conn = ref.connection ?? {};
  if (!where.bucket) throw invalid(`${field}.location: missing field "bucket"`);
  if (conn.id) {
    if (conn.access_key_id || conn.secret_access_key || conn.endpoint_url)
      throw invalid(`${field}.connection: give "id" or keys, not both`);
    return {
      place: { connection: conn.id, bucket: where.bucket, prefix: folder },
      file,
      newConnection: false,
    };
  }
  if (!conn.endpoint_url || !conn.access_key_id || !conn.secret_access_key)
    throw invalid(
      `${field}.connection: needs "endpoint_url", "access_key_id" and "secret_access_key" (or "id" of a stored connection)`,
    );
  return {
    place: {
      connection: {
        type: 's3',
        endpoint: conn.endpoint_url,
        region: conn.region,
        access_key: conn.access_key_id,
        secret_key: conn.secret_access_key,
      },
      bucket: where.bucket,
      prefix: folder,
    },
    file,
    newConnection: true,
  };
}

/** A reference as shown back: every key masked. */
export function maskReference(ref: DataReference): DataReference {
  if (!ref.connection) return ref;
  const connection: Record<string, unknown> = { ...ref.connection };
  for (const k of ['access_key_id', 'secret_access_key', 'api_key', 'password', 'apikey'])
    if (connection[k] !== undefined) connection[k] = '********';
  return { ...ref, connection };
}

/**
 * What a v4 job request asks of the service: inline records, or a source and a target (with the one file an
 * input names, and a zip's outputs as one zip); `newConnection` tells whether the job stores keys or a path.
 */
export function jobInputOf(
  body: V4JobInput,
  name: string,
): { input: NewDeploymentJobInput; newConnection: boolean } {
  const s = body.scoring;
  const request = {
    scoring: {
      ...(s.input_data ? { input_data: s.input_data } : {}),
      ...(s.input_data_references
        ? { input_data_references: s.input_data_references.map(maskReference) }
        : {}),
      ...(s.output_data_reference ? { output_data_reference: maskReference(s.output_data_reference) } : {}),
    },
  };
  const base = { deployment: body.deployment.id, name, request };
  if (s.input_data) {
    if (s.input_data_references || s.output_data_reference)
      throw invalid('body.scoring: give "input_data" or "input_data_references", not both');
    return { input: { ...base, inputData: s.input_data }, newConnection: false };
  }
  const inputRef = s.input_data_references?.[0];
  if (!inputRef) throw invalid('body.scoring: missing field "input_data" or "input_data_references"');
  if (!s.output_data_reference)
    throw invalid('body.scoring: missing field "output_data_reference" (input references need one)');
  const source = resolve(inputRef, 'body.scoring.input_data_references[0]', 'source');
  const target = resolve(s.output_data_reference, 'body.scoring.output_data_reference', 'target');
  return {
    input: {
      ...base,
      source: source.place,
      target: target.place,
      ...(source.file ? { include: [literalGlob(source.file)] } : {}),
      ...(source.file && /\.zip$/i.test(source.file) ? { outputFormat: 'zip' as const } : {}),
    },
    newConnection: source.newConnection || target.newConnection,
  };
}
