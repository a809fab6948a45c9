/**
 * Spare Float32 buffers, by size, so a job does not allocate (and the garbage collector chase) hundreds of
 * megabytes of external memory: a batch moved to a model thread comes back with its result and is filled by the
 * next batch; an image's record is recycled once its batch is scored.
 */
const spares = new Map<number, ArrayBuffer[]>();
/** Bytes kept at most, over every size; a size needed now pushes the others out. */
const MAX_SPARE_BYTES = 96 << 20;
let spareBytes = 0;

/** How many buffers of `bytes` are kept: 64 at most, 32 MiB worth at most, but always 2 (a batch and the next). */
const keptOfSize = (bytes: number) => Math.max(2, Math.min(64, Math.floor((32 << 20) / bytes)));

/** A Float32Array of `length` items, on a spare buffer when one of the size is there (its contents are stale). */
export function takeFloats(length: number): Float32Array {
  const list = spares.get(length * 4);
  const buffer = list?.pop();
  if (!list || !buffer) return new Float32Array(length);
  spareBytes -= buffer.byteLength;
  // Most recently used last: the first sizes in the map are the first pushed out.
  spares.delete(length * 4);
  spares.set(length * 4, list);
  return new Float32Array(buffer);
}

/** Keeps a buffer nothing else holds (and nothing will read again) for a later {@link takeFloats}. */
export function giveBackFloats(buffer: ArrayBufferLike): void {
  const bytes = buffer.byteLength;
  if (!(buffer instanceof ArrayBuffer) || bytes === 0 || bytes > MAX_SPARE_BYTES / 2) return; // shared, detached
  const list = spares.get(bytes) ?? [];
  if (list.length >= keptOfSize(bytes)) return;
  for (const [size, others] of spares) {
    if (spareBytes + bytes <= MAX_SPARE_BYTES) break;
    if (size === bytes) continue;
    spareBytes -= size * others.length;
    spares.delete(size);
  }
  if (spareBytes + bytes > MAX_SPARE_BYTES) return;
  list.push(buffer);
  spares.set(bytes, list);
  spareBytes += bytes;
}

/** The buffer under `view` when the view fills it whole (and it is not shared), else null: what may be moved or reused. */
export function wholeBuffer(view: ArrayBufferView): ArrayBuffer | null {
  const { buffer, byteOffset, byteLength } = view;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength
    ? buffer
    : null;
}

/** Lets every spare go (a process about to idle, or a test). */
export function dropSpareFloats(): void {
  spares.clear();
  spareBytes = 0;
}
