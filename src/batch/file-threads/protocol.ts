import type { ResizeMode, ScaleMode } from '../../scoring/formats/image.js';
import type { LinePage } from '../../scoring/formats/jsonl-page.js';
import type { FsDriverOptions } from '../../storage/index.js';
import { KerasBatchError } from '../../util/errors.js';
import type { ImageRead, InputRead, ReadSpec } from '../file-stages.js';

/** What a file thread is started with: the folders it reads and writes (null: not its job), the model's inputs. */
export interface ThreadSetup {
  source: FsDriverOptions | null;
  target: FsDriverOptions | null;
  spec: ReadSpec;
}

/**
 * Messages to a thread. Threads serve every job of the process: a job opens a context (its folders and model
 * inputs) on each thread, sends requests in chunks (one message per chunk: `[id, key, etag]` reads or
 * `[id, key, text]` writes, `[id, key, etag, resize, scale]` images to read (and decode when small PNGs), or `[id, bytes, before, idField]` blocks of JSON Lines to parse, their bytes moved) and
 * closes the context when it ends.
 */
export type ThreadRequest =
  | { kind: 'open'; ctx: number; setup: ThreadSetup }
  | { kind: 'close'; ctx: number }
  | { kind: 'read'; ctx: number; items: [id: number, key: string, etag: string][] }
  | { kind: 'write'; ctx: number; items: [id: number, key: string, text: string][] }
  | {
      kind: 'image';
      ctx: number;
      items: [id: number, key: string, etag: string, resize?: ResizeMode, scale?: ScaleMode][];
    }
  | {
      kind: 'parse';
      ctx: number;
      items: [id: number, bytes: Uint8Array, before: number, idField: string | undefined][];
    };

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
  | { id: number; image: ImageRead }
  | { id: number; unread: { stage: 'read' | 'parse'; error: SentError } }
  | { id: number; writeMs: number }
  | { id: number; writeError: SentError }
  | { id: number; page: LinePage }
  | { id: number; parseError: SentError };

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
