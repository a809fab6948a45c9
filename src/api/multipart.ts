import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { TempFiles, UploadSpace } from './uploads.js';

/** A file of an upload, streamed to a temp file (removed when the request ends). */
export interface UploadedFile {
  filename: string;
  path: string;
  size: number;
}

/** A multipart upload: its files (by field name, each in a temp file) and text fields. */
export interface Upload {
  files: Map<string, UploadedFile>;
  fields: Record<string, string>;
}

type Allowed = { files: string[]; fields: string[]; required?: string[] };
type Where = { space: UploadSpace; temp: TempFiles };

/**
 * Reads a multipart/form-data request, each file streamed to a temp file of `temp` (never held whole). Only
 * the named file and text fields are accepted (others, and a missing `required` one: 400); a file over the
 * server's upload limit fails with 413 (`PAYLOAD_TOO_LARGE`).
 */
export async function readUpload(request: FastifyRequest, allowed: Allowed, where: Where): Promise<Upload> {
  if (!request.isMultipart())
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'upload the model as multipart/form-data');
  const upload: Upload = { files: new Map(), fields: {} };
  try {
    for await (const part of request.parts()) await readPart(part, upload, allowed, where);
  } catch (error) {
    // The parser's own errors (a part without headers, a body cut short) are the client's: 400, not 500.
    const code = (error as { code?: unknown }).code;
    if (error instanceof ApiError || (typeof code === 'string' && code.startsWith('FST_'))) throw error;
    throw new ApiError(
      400,
      'VALIDATION_FAILED',
      `body: not well-formed multipart/form-data (${error instanceof Error ? error.message : 'unreadable'})`,
    );
  }
  for (const name of allowed.required ?? [])
    if (!upload.files.has(name) && upload.fields[name] === undefined)
      throw new ApiError(400, 'VALIDATION_FAILED', `body: missing field "${name}"`);
  return upload;
}

async function readPart(part: Multipart, upload: Upload, allowed: Allowed, where: Where): Promise<void> {
  if (part.type === 'file') {
    if (!allowed.files.includes(part.fieldname)) {
      part.file.resume();
      throw new ApiError(
        400,
        'VALIDATION_FAILED',
        `body: unknown file field "${part.fieldname}" (expected ${allowed.files.map((f) => `"${f}"`).join(' or ')})`,
      );
    }
    if (upload.files.has(part.fieldname)) {
      part.file.resume();
      throw new ApiError(400, 'VALIDATION_FAILED', `body: file field "${part.fieldname}" given twice`);
    }
    const what = `the uploaded file "${part.fieldname}"`;
    const { path, size } = await where.space.toFile(part.file, where.temp, what);
    if (part.file.truncated) throw where.space.tooLarge(what);
    upload.files.set(part.fieldname, { filename: part.filename || part.fieldname, path, size });
  } else {
    if (!allowed.fields.includes(part.fieldname))
      throw new ApiError(400, 'VALIDATION_FAILED', `body: unknown field "${part.fieldname}"`);
    if (typeof part.value !== 'string')
      throw new ApiError(400, 'VALIDATION_FAILED', `body: field "${part.fieldname}" must be text`);
    if (part.fieldname in upload.fields)
      throw new ApiError(400, 'VALIDATION_FAILED', `body: field "${part.fieldname}" given twice`);
    upload.fields[part.fieldname] = part.value;
  }
}

/** The model file of an upload (the first of `names` present): a 400 naming the field when missing, 422 when empty. */
export function modelFile(upload: Upload, names: string[]): UploadedFile {
  for (const n of names) {
    const f = upload.files.get(n);
    if (f) {
      if (f.size === 0) throw new ApiError(422, 'MODEL_FILE_EMPTY', `body: file "${n}" is empty`);
      return f;
    }
  }
  throw new ApiError(400, 'VALIDATION_FAILED', `body: missing file field "${names[0]}" (the model file)`);
}

/**
 * The multipart request body as OpenAPI describes it (parts are checked in code, to the same rules: only these
 * parts, the `required` ones present).
 */
export function multipartBody(
  files: Record<string, string>,
  fields: Record<string, string>,
  required: string[] = [],
) {
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          additionalProperties: false,
          ...(required.length ? { required } : {}),
          properties: {
            ...Object.fromEntries(
              Object.entries(files).map(([k, d]) => [
                k,
                { type: 'string', format: 'binary', description: d },
              ]),
            ),
            ...Object.fromEntries(
              Object.entries(fields).map(([k, d]) => [k, { type: 'string', description: d }]),
            ),
          },
        },
      },
    },
  };
}
