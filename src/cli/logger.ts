import { pino } from 'pino';

/** Structured logs (pino, JSON lines) on stderr; secrets are never passed to the logger. */
export function createLogger(level = 'warn') {
  return pino(
    { level, base: { app: 'keras-batch' }, redact: ['*.secretAccessKey', '*.secret_key', '*.access_key'] },
    pino.destination(2),
  );
}
