import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { KerasBatchError } from '../util/errors.js';

/** The one JSON error shape of every route: a stable code and a message a user can act on. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** An HTTP error raised by a route, with its status. */
export class ApiError extends KerasBatchError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
  ) {
    super('api', code, message);
  }
}

/**
 * Statuses of the service's errors. 400 is kept for requests that do not match their documented schema (the
 * route's validation, the JSON and multipart parsers); a request that matches it but cannot be used (a file
 * that is no model, values the model cannot take, a bucket the endpoint refuses, fields that do not go
 * together) gets 422.
 */
const STATUS: Record<string, number> = {
  REPO_NOT_FOUND: 404,
  REPO_CONFLICT: 409,
  REPO_IN_USE: 409,
  REPO_INVALID: 422,
  SERVICE_INVALID: 422,
  SERVICE_MODEL_REJECTED: 422,
  SERVICE_NOT_BATCH: 409,
  SERVICE_JOB_FINAL: 409,
  SERVICE_OVERLAP: 409,
  SERVICE_SOURCE_EMPTY: 422,
  SERVICE_FORBIDDEN: 403,
  SERVICE_LAST_ADMIN: 409,
  BATCH_BAD_OPTION: 422,
  STORAGE_INVALID_LOCATION: 422,
  STORAGE_CONFIG: 422,
};

/** The user's storage while browsing it: not found, or it refused or could not be reached. */
const SERVICE_STORAGE: Record<string, number> = { STORAGE_NOT_FOUND: 404, STORAGE_UNREACHABLE: 422 };

const FASTIFY: Record<string, [number, string, string?]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'the request body is over the size limit'],
  FST_REQ_FILE_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'the uploaded file is over the size limit'],
  FST_FILES_LIMIT: [413, 'PAYLOAD_TOO_LARGE', 'too many files in the upload'],
  FST_PARTS_LIMIT: [413, 'PAYLOAD_TOO_LARGE', 'too many parts in the upload'],
  FST_FIELDS_LIMIT: [413, 'PAYLOAD_TOO_LARGE', 'too many fields in the upload'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    'the request is not multipart/form-data',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON', 'the JSON body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
};

/** Turns any error into a status and the one error body. Unknown errors say nothing about their cause. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  const e = error as FastifyError & { validation?: unknown };
  if (error instanceof ApiError)
    return { status: error.statusCode, body: wrap(error.code, error.message.replace(/^\[api\] /, '')) };
  if (error instanceof KerasBatchError) {
    const status =
      (error.part === 'service' ? SERVICE_STORAGE[error.code] : undefined) ??
      STATUS[error.code] ??
      (error.part === 'scoring' ? 422 : 500);
    if (status === 500) return { status, body: wrap('INTERNAL', 'internal error') };
    return { status, body: wrap(error.code, error.message.replace(/^\[[a-z]+\] /, '')) };
  }
  if (e && typeof e === 'object' && e.validation)
    return { status: 400, body: wrap('VALIDATION_FAILED', e.message) };
  const known = e?.code ? FASTIFY[e.code] : undefined;
  if (known) return { status: known[0], body: wrap(known[1], known[2] ?? e.message) };
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: wrap('BAD_REQUEST', e.message) };
  }
  return { status: 500, body: wrap('INTERNAL', 'internal error') };
}

const wrap = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/** Fastify's error handler: the one shape, and a log line (without bodies or headers) for 5xx. */
export function errorHandler(logger: Logger) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) {
      logger.error(
        {
          reqId: request.id,
          route: request.routeOptions.url,
          err: error instanceof Error ? error.name : 'Error',
        },
        error instanceof KerasBatchError ? error.message : 'unexpected error',
      );
    }
    void reply.status(status).type('application/json').send(body);
  };
}

/**
 * Requests Node refuses before they reach a route (the request line and headers over the server's limit, a
 * malformed request, a client too slow), answered in the one error shape and the connection closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          'HEADERS_TOO_LARGE',
          'the request line and headers are over 64 KiB',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request was not received in time']
        : [400, 'Bad Request', 'BAD_REQUEST', 'the request is not well-formed HTTP'];
  const body = JSON.stringify(wrap(code, message));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}
