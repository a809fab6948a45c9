/** A request of a job waiting on a file thread (see `pool.ts`): what it is, how it settles, what if it is lost. */
import type { ImageOptions } from '../../scoring/formats/image.js';
import type { LinePage } from '../../scoring/formats/jsonl-page.js';
import type { LineBlock } from '../../scoring/formats/lines.js';
import type { ObjectEntry } from '../../storage/index.js';
import { errorMessage, KerasBatchError } from '../../util/errors.js';
import { formatBytes, LIMIT_NAMES } from '../../util/limits.js';
import type { FileStages, ImageRead, InputRead, InputUnread } from '../file-stages.js';

export type Pending = { fallback: FileStages; ctx: number } & (
  | { kind: 'read'; entry: ObjectEntry; resolve: (outcome: InputRead | InputUnread) => void }
  | {
      kind: 'image';
      entry: Pick<ObjectEntry, 'key' | 'etag'>;
      options: ImageOptions;
      resolve: (outcome: ImageRead | InputUnread) => void;
    }
  | {
      kind: 'write';
      key: string;
      text: string;
      resolve: (ms: number) => void;
      reject: (error: unknown) => void;
    }
  | {
      kind: 'parse';
      block: LineBlock;
      idField: string | undefined;
      resolve: (page: LinePage) => void;
      reject: (error: unknown) => void;
    }
);

export type Kind = Pending['kind'];
export const KINDS: readonly Kind[] = ['read', 'image', 'write', 'parse'];

/** Why a file's thread died while it worked on that file: its own failure, named, never the process's. */
export function threadDeath(pending: Pending, error: unknown, heapBytes: number): KerasBatchError {
  const file =
    pending.kind === 'read' || pending.kind === 'image'
      ? pending.entry.key
      : pending.kind === 'write'
        ? pending.key
        : `lines ${pending.block.before + 1}…`;
  const doing =
    pending.kind === 'read' || pending.kind === 'image'
      ? 'reading it'
      : pending.kind === 'write'
        ? 'writing its output'
        : 'parsing them';
  const oom = (error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
  const name = LIMIT_NAMES.ioThreadHeap;
  return oom
    ? new KerasBatchError(
        'batch',
        'IO_THREAD_OUT_OF_MEMORY',
        `'${file}': the file-I/O thread ran out of memory while ${doing} (limit ${name}=${formatBytes(heapBytes)}; ` +
          `raise with --limit ${name}=<value> or KERAS_BATCH_LIMITS="${name}=<value>", or use --io-threads 0)`,
      )
    : new KerasBatchError(
        'batch',
        'IO_THREAD_FAILED',
        `'${file}': the file-I/O thread died while ${doing}: ${errorMessage(error ?? 'it exited')}`,
      );
}

/** A request the threads cannot serve, done on its job's thread instead. */
export function viaFallback(pending: Pending): void {
  if (pending.kind === 'read') void pending.fallback.read(pending.entry).then(pending.resolve);
  else if (pending.kind === 'image')
    void pending.fallback.readImage(pending.entry, pending.options).then(pending.resolve);
  else if (pending.kind === 'write')
    pending.fallback.write(pending.key, pending.text).then(pending.resolve, pending.reject);
  else if (pending.block.bytes.byteLength === 0 && pending.block.bytes.buffer.byteLength === 0) {
    // The block had been moved to the thread that stopped: it cannot be parsed again.
    pending.reject(
      new KerasBatchError(
        'batch',
        'THREAD_LOST',
        `a file thread stopped while parsing the lines after line ${pending.block.before}`,
      ),
    );
  } else pending.fallback.parseLines(pending.block, pending.idField).then(pending.resolve, pending.reject);
}
