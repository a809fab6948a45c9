/**
 * A `.npy` file read as a stream: its header from the first bytes, then its data a part at a time (whole
 * records), so an array larger than memory is never held whole.
 */
import { decodeNpyData, type NpyHeader, npyTruncated, parseNpyHeader } from './npy.js';

/** Bytes gathered from a stream's chunks, taken from the front. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(chunk: Uint8Array) {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  /** The first `n` bytes (at most the bytes held), without taking them. */
  peek(n: number): Uint8Array {
    if (this.chunks.length > 0 && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    return Buffer.concat(this.chunks).subarray(0, n);
  }
  /** Takes the first `n` bytes (at most the bytes held). */
  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.length));
    let filled = 0;
    while (filled < out.length) {
      const first = this.chunks[0];
      const part = Math.min(first.length, out.length - filled);
      out.set(first.subarray(0, part), filled);
      filled += part;
      if (part === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(part);
    }
    this.length -= out.length;
    return out;
  }
}

/** An open `.npy` stream: its header, and its data as float32 parts. */
export interface NpyStream {
  header: NpyHeader;
  /**
   * The data, `elements` at a time (whole records: a multiple of a record's elements), the last part shorter;
   * at most `limit` elements. Fails naming the file when the data ends before the header's shape is filled.
   */
  parts(elements: number, limit?: number): AsyncGenerator<Float32Array>;
  /** Stops reading (the rest of the stream is not read). */
  close(): Promise<void>;
}

/** Opens a `.npy` from its chunks: reads up to the end of its header. `name` names it in errors. */
export async function openNpyStream(body: AsyncIterable<Uint8Array>, name: string): Promise<NpyStream> {
  const it = body[Symbol.asyncIterator]();
  const queue = new ByteQueue();
  let ended = false;
  const more = async () => {
    const next = await it.next();
    if (next.done) ended = true;
    else queue.push(next.value);
  };
  let header: NpyHeader | null = null;
  while (!header) {
    header = parseNpyHeader(queue.peek(queue.length), name, ended);
    if (!header) await more();
  }
  const h = header;
  queue.take(h.dataOffset);
  const close = async () => {
    await it.return?.();
  };
  async function* parts(elements: number, limit = h.count): AsyncGenerator<Float32Array> {
    const want = Math.min(limit, h.count);
    let read = 0;
    try {
      while (read < want) {
        const n = Math.min(elements, want - read);
        const bytes = n * h.itemSize;
        while (queue.length < bytes && !ended) await more();
        if (queue.length < bytes) throw npyTruncated(name, h, read * h.itemSize + queue.length);
        yield decodeNpyData(queue.take(bytes), h);
        read += n;
      }
    } finally {
      if (!ended) await close();
    }
  }
  return { header: h, parts, close };
}
