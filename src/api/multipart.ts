import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** A multipart upload read whole: its files (by field name) and text fields. */
export interface Upload {
  files: Map<string, { filename: string; bytes: Uint8Array }>;
  fields: Record<string, string>;
}

/**
 * Reads a multipart/form-data request. Only the named file and text fields are accepted (others: 400);
 * a file over the server's upload limit fails with 413 (`PAYLOAD_TOO_LARGE`).
 */
export async function readUpload(
  request: FastifyRequest,
  allowed: { files: string[]; fields: string[] },
): Promise<Upload> {
  if (!request.isMultipart())
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'upload the model as multipart/form-data');
  const upload: Upload = { files: new Map(), fields: {} };
  for await (const part of request.parts()) {
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
      const bytes = new Uint8Array(await part.toBuffer());
      upload.files.set(part.fieldname, { filename: part.filename || part.fieldname, bytes });
    } else {
      if (!allowed.fields.includes(part.fieldname))
        throw new ApiError(400, 'VALIDATION_FAILED', `body: unknown field "${part.fieldname}"`);
      if (typeof part.value !== 'string')
        throw new ApiError(400, 'VALIDATION_FAILED', `body: field "${part.fieldname}" must be text`);
      upload.fields[part.fieldname] = part.value;
    }
  }
  return upload;
}

/** The model file of an upload (the first of `names` present), or a 400 naming the field. */
export function modelFile(upload: Upload, names: string[]): { filename: string; bytes: Uint8Array } {
  for (const n of names) {
    const f = upload.files.get(n);
    if (f) {
      if (f.bytes.length === 0) throw new ApiError(400, 'VALIDATION_FAILED', `body: file "${n}" is empty`);
      return f;
    }
  }
  throw new ApiError(400, 'VALIDATION_FAILED', `body: missing file field "${names[0]}" (the model file)`);
}

/** The multipart request body as OpenAPI describes it (documentation only; parts are checked in code). */
export function multipartBody(files: Record<string, string>, fields: Record<string, string>) {
  return {
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
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
