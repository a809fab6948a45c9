import type { Engine, Tensor } from '../engine/types.js';
import { concatRecords, type InputRecords } from '../scoring/index.js';

interface Waiting {
  records: InputRecords;
  resolve: (outputs: Tensor[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Dynamic batching for online scoring: a request is scored at once when the engine is idle; requests that
 * arrive while it is busy are gathered and scored together in the next call (up to `maxRecords`), so many
 * concurrent clients cost few engine calls while a lone client waits for one call only.
 */
export class OnlineBatcher {
  private queue: Waiting[] = [];
  private busy = false;

  constructor(
    private readonly engine: Engine,
    private readonly maxRecords = 64,
  ) {}

  /** Scores one request's records; resolves with its rows of every output. */
  score(records: InputRecords): Promise<Tensor[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      if (!this.busy) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const items = this.take();
        await this.scoreItems(items);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Requests of the first request's shape, up to `maxRecords` (always at least one). */
  private take(): Waiting[] {
    const key = shapeKey(this.queue[0].records);
    const items: Waiting[] = [];
    const rest: Waiting[] = [];
    let count = 0;
    for (const w of this.queue) {
      if (shapeKey(w.records) === key && (items.length === 0 || count + w.records.count <= this.maxRecords)) {
        items.push(w);
        count += w.records.count;
      } else rest.push(w);
    }
    this.queue = rest;
    return items;
  }

  private async scoreItems(items: Waiting[]): Promise<void> {
    if (items.length === 1) {
      try {
        items[0].resolve(await this.engine.predict(items[0].records.tensors));
      } catch (error) {
        items[0].reject(error);
      }
      return;
    }
    try {
      const outputs = await this.engine.predict(concatRecords(items.map((i) => i.records)));
      let offset = 0;
      for (const item of items) {
        item.resolve(outputs.map((o) => rows(o, offset, item.records.count)));
        offset += item.records.count;
      }
    } catch {
      for (const item of items) {
        try {
          item.resolve(await this.engine.predict(item.records.tensors));
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }
}

const shapeKey = (r: InputRecords) => r.tensors.map((t) => t.dims.slice(1).join('x')).join('|');

function rows(out: Tensor, first: number, count: number): Tensor {
  const size = out.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    data: out.data.subarray(first * size, (first + count) * size),
    dims: [count, ...out.dims.slice(1)],
  };
}
