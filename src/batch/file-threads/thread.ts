/** A file thread: reads + parses inputs and writes outputs with blocking calls, for the pool in `pool.ts`. */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type ImageLayout,
  imageLayout,
  imageRecord,
  type ResizeMode,
  type ScaleMode,
} from '../../scoring/formats/image.js';
import { parseLineBlock } from '../../scoring/formats/jsonl-page.js';
import { decodeSmallPng } from '../../scoring/formats/png-small.js';
import { createFsDriver } from '../../storage/fs-driver.js';
import type { BucketDriver } from '../../storage/types.js';
import { wholeBuffer } from '../../util/float-buffers.js';
import { type ReadSpec, readInput, writeOutput } from '../file-stages.js';
import { sendError, type ThreadRequest, type ThreadResult } from './protocol.js';

interface Context {
  source: BucketDriver | null;
  target: BucketDriver | null;
  spec: ReadSpec;
  /** The model input's image layout, once an image was read. */
  layout?: ImageLayout;
}

const contexts = new Map<number, Context>();
/** Slot 0: the request being worked on, read by the pool if this thread dies (to fail that request alone). */
const current = new Int32Array((workerData as { current: SharedArrayBuffer }).current);
/** Inputs with more records than this are sent back alone (see `handle`). */
const ALONE_RECORDS = 4096;

function context(ctx: number): Context {
  const found = contexts.get(ctx);
  if (!found) throw new Error(`file thread: no open job context ${ctx}`);
  return found;
}

async function handle(request: ThreadRequest): Promise<ThreadResult[]> {
  const results: ThreadResult[] = [];
  if (request.kind === 'open') {
    const { source, target, spec } = request.setup;
    contexts.set(request.ctx, {
      source: source ? createFsDriver({ ...source, io: 'blocking' }) : null,
      target: target ? createFsDriver({ ...target, io: 'blocking' }) : null,
      spec,
    });
  } else if (request.kind === 'close') {
    contexts.delete(request.ctx);
  } else if (request.kind === 'read') {
    const { source, spec } = context(request.ctx);
    if (!source) throw new Error('file thread: this job reads no folder');
    for (const [id, key, etag] of request.items) {
      Atomics.store(current, 0, id);
      const outcome = await readInput(source, { key, etag }, spec);
      if (outcome.ok && outcome.records.count > ALONE_RECORDS) {
        // Sent alone, still marked as current: if copying it out exhausts the heap, this file is the one blamed.
        parentPort?.postMessage([{ id, read: outcome }]);
        continue;
      }
      results.push(
        outcome.ok
          ? { id, read: outcome }
          : { id, unread: { stage: outcome.stage, error: sendError(outcome.error) } },
      );
    }
  } else if (request.kind === 'image') {
    const c = context(request.ctx);
    if (!c.source) throw new Error('file thread: this job reads no folder');
    for (const [id, key, etag, resize, scale] of request.items) {
      Atomics.store(current, 0, id);
      results.push(await readImage(c, c.source, id, key, etag, { resize, scale }));
    }
  } else if (request.kind === 'parse') {
    const { spec } = context(request.ctx);
    for (const [id, bytes, before, idField] of request.items) {
      try {
        results.push({ id, page: parseLineBlock(bytes, before, spec.specs, idField) });
      } catch (error) {
        results.push({ id, parseError: sendError(error) });
      }
    }
  } else {
    const { target } = context(request.ctx);
    if (!target) throw new Error('file thread: this job writes no folder');
    for (const [id, key, text] of request.items) {
      Atomics.store(current, 0, id);
      try {
        results.push({ id, writeMs: await writeOutput(target, key, text) });
      } catch (error) {
        results.push({ id, writeError: sendError(error) });
      }
    }
  }
  return results;
}

/**
 * Reads an image; a small plain PNG is decoded and made the model's record here (its numbers moved back), any
 * other image goes back as bytes for the job's thread to decode (libvips).
 */
async function readImage(
  c: Context,
  source: BucketDriver,
  id: number,
  key: string,
  etag: string,
  options: { resize?: ResizeMode; scale?: ScaleMode },
): Promise<ThreadResult> {
  let body: Uint8Array;
  let version: string;
  try {
    const object = await source.get(key);
    body = object.body;
    version = object.etag || etag;
  } catch (error) {
    return { id, unread: { stage: 'read', error: sendError(error) } };
  }
  try {
    const image = decodeSmallPng(body);
    if (!image) return { id, image: { ok: true, version, bytes: Uint8Array.from(body) } };
    c.layout ??= imageLayout(c.spec.specs[0]);
    return { id, image: { ok: true, version, tensor: imageRecord(image, c.layout, options, key) } };
  } catch (error) {
    return { id, unread: { stage: 'parse', error: sendError(error) } };
  }
}

parentPort?.on('message', (request: ThreadRequest) => {
  void handle(request).then((results) => {
    if (results.length > 0) {
      // Parsed numbers are moved, not copied.
      const moved = results.flatMap((r) =>
        'page' in r ? [r.page.data.buffer as ArrayBuffer] : movedImage(r),
      );
      parentPort?.postMessage(results, moved);
    }
    Atomics.store(current, 0, 0);
  });
});

/** The buffer of an image result to move rather than copy: decoded numbers, or a copy of the bytes read. */
function movedImage(r: ThreadResult): ArrayBuffer[] {
  if (!('image' in r)) return [];
  const array = r.image.tensor?.data ?? r.image.bytes;
  if (!array || typeof array === 'string' || !('buffer' in array)) return [];
  const buffer = wholeBuffer(array);
  return buffer ? [buffer] : [];
}
