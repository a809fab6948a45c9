import type { FsDriverOptions } from '../../storage/index.js';
import { KerasBatchError } from '../../util/errors.js';
import type { InputRead, ReadSpec } from '../file-stages.js';

/** What a file thread is started with: the folders it reads and writes (null: not its job), the model's inputs. */
export interface ThreadSetup {
  source: FsDriverOptions | null;
  target: FsDriverOptions | null;
  spec: ReadSpec;
}

/** Requests go in chunks (one message per chunk): `[id, key, etag]` reads or `[id, key, text]` writes. */
export type ThreadRequest =
  | { kind: 'read'; items: [id: number, key: string, etag: string][] }
  | { kind: 'write'; items: [id: number, key: string, text: string][] };

/** An error as it crosses threads: enough to rebuild a {@link KerasBatchError} with its code and retryability. */
export interface SentError {
  message: string;
  part?: string;
  code?: string;
  retryable?: boolean;
}

/** One request's outcome. */
export type ThreadResult =
  | { id: number; read: InputRead }
  | { id: number; unread: { stage: 'read' | 'parse'; error: SentError } }
  | { id: number; writeMs: number }
  | { id: number; writeError: SentError };

export function sendError(error: unknown): SentError {
  if (error instanceof KerasBatchError) {
    return { message: error.message, part: error.part, code: error.code, retryable: error.retryable };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export function receiveError(sent: SentError): Error {
  if (sent.part === undefined || sent.code === undefined) return new Error(sent.message);
  const prefix = `[${sent.part}] `;
  const message = sent.message.startsWith(prefix) ? sent.message.slice(prefix.length) : sent.message;
  return new KerasBatchError(sent.part, sent.code, message, { retryable: sent.retryable });
}
