/**
 * JSON schemas of the routes: they validate requests, shape responses (fields not listed are never sent)
 * and make the OpenAPI document.
 */

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const nnum = { type: ['number', 'null'] } as const;

/** `{"error": {"code", "message"}}`. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: str, message: str }, required: ['code', 'message'] },
  },
  required: ['error'],
} as const;

/** The error responses every protected route may give. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  404: errorSchema,
  409: errorSchema,
  413: errorSchema,
  415: errorSchema,
  422: errorSchema,
  500: errorSchema,
} as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['id'],
  additionalProperties: false,
} as const;

export const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
  additionalProperties: false,
} as const;

/** A page of `items`. */
export const pageOf = (items: object) =>
  ({
    type: 'object',
    properties: { items: { type: 'array', items }, total: int, limit: int, offset: int },
    required: ['items', 'total', 'limit', 'offset'],
  }) as const;

const shape = { type: 'array', items: { type: ['integer', 'null'] } } as const;
const tensor = { type: 'object', properties: { name: str, shape, dtype: str } } as const;

export const versionSchema = {
  type: 'object',
  properties: {
    id: str,
    model_id: str,
    version: int,
    framework: str,
    keras_version: str,
    format: str,
    inputs: { type: 'array', items: tensor },
    outputs: { type: 'array', items: tensor },
    layers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: str,
          class_name: str,
          output_shapes: { type: 'array', items: shape },
          params: int,
        },
      },
    },
    params: int,
    size: int,
    sha256: str,
    file_name: str,
    author: nstr,
    created_at: str,
  },
} as const;

export const modelSchema = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    description: str,
    author: nstr,
    framework: str,
    created_at: str,
    updated_at: str,
    latest_version: int,
    versions: { type: 'array', items: versionSchema },
  },
} as const;

export const connectionSchema = {
  type: 'object',
  description: 'A stored connection. The keys are write-only: only a masked hint of the access key is shown.',
  properties: {
    id: str,
    name: str,
    type: { type: 'string', enum: ['s3', 'local'] },
    endpoint: nstr,
    region: nstr,
    path: nstr,
    access_key_hint: nstr,
    created_at: str,
  },
} as const;

export const jobSchema = {
  type: 'object',
  properties: {
    id: str,
    deployment_id: str,
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'canceled'] },
    wml_status: { type: 'string', enum: ['INITIALIZING', 'SUCCESS', 'FAILED'] },
    status_message: nstr,
    interrupted: { type: 'boolean' },
    attempts: int,
    counts: {
      type: 'object',
      properties: { total: int, scored: int, failed: int, skipped: int, records: int },
    },
    listing_done: { type: 'boolean' },
    progress: num,
    created_at: str,
    started_at: nstr,
    finished_at: nstr,
    duration_ms: nnum,
    files_per_second: nnum,
    records_per_second: nnum,
  },
} as const;

const location = {
  type: ['object', 'null'],
  properties: { connection_id: str, bucket: nstr, prefix: str },
} as const;

const deploymentOptions = {
  type: 'object',
  properties: {
    batch_size: { type: 'integer', minimum: 1, maximum: 65536 },
    max_failures: { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%?\\s*$' },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
  },
  additionalProperties: false,
} as const;

export const deploymentSchema = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    description: str,
    type: { type: 'string', enum: ['batch', 'online'] },
    model_id: str,
    model_version_id: str,
    model_version: int,
    source: location,
    target: location,
    options: deploymentOptions,
    created_at: str,
    last_job: { anyOf: [{ type: 'null' }, jobSchema] },
  },
} as const;

export const failureSchema = {
  type: 'object',
  properties: { file: str, stage: str, code: str, reason: str },
} as const;

const placeInput = {
  type: 'object',
  properties: {
    connection: { type: 'string', minLength: 1, description: 'connection id or name' },
    bucket: { type: 'string', minLength: 1, maxLength: 255 },
    prefix: { type: 'string', maxLength: 1024 },
  },
  required: ['connection'],
  additionalProperties: false,
} as const;

export const deploymentInput = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    type: { type: 'string', enum: ['batch', 'online'] },
    model: { type: 'string', minLength: 1, description: 'model id or name' },
    version: { type: 'integer', minimum: 1 },
    source: placeInput,
    target: placeInput,
    options: deploymentOptions,
    start: { type: 'boolean', default: true },
  },
  required: ['name', 'type', 'model'],
  additionalProperties: false,
} as const;

export const connectionInput = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    type: { type: 'string', enum: ['s3', 'local'] },
    endpoint: { type: 'string', minLength: 1, maxLength: 2048 },
    region: { type: 'string', minLength: 1, maxLength: 64 },
    access_key: { type: 'string', minLength: 1, maxLength: 1024 },
    secret_key: { type: 'string', minLength: 1, maxLength: 1024 },
    path: { type: 'string', minLength: 1, maxLength: 4096 },
  },
  required: ['type'],
  additionalProperties: false,
} as const;

/** `{"values": ...}` of online scoring (`fields` is accepted, as WML clients send it, and ignored). */
export const onlineInput = {
  type: 'object',
  properties: {
    values: { type: 'array', minItems: 1 },
    fields: { type: 'array', items: { type: 'string' } },
  },
  required: ['values'],
  additionalProperties: false,
} as const;

/** What online scoring returns (documented; the body is written directly). */
export const onlineOutput = {
  type: 'object',
  properties: {
    fields: { type: 'array', items: str },
    values: { type: 'array', items: { type: 'array' } },
  },
} as const;
