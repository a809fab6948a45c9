import type { Engine, Tensor } from '../engine/types.js';
import { concatRecords, type InputRecords, recycleRecords } from '../scoring/index.js';

interface Pending {
  records: InputRecords;
  resolve: (outputs: Tensor[]) => void;
  reject: (error: unknown) => void;
}

interface Group {
  items: Pending[];
  count: number;
}

/**
 * When gathered records go to the engine:
 * - `fill` (batch jobs): a shape's batch goes when it holds `maxRecords`, or on {@link RecordBatcher.flush};
 *   a job of single-record files still runs the model at batch 256.
 * - `idle` (online scoring): a request goes at once when the engine is idle; requests arriving while it is busy
 *   are gathered (up to `maxRecords`) for the next call, so concurrent clients cost few calls and a lone client
 *   waits for one call only.
 */
export type FlushPolicy = 'fill' | 'idle';

const shapeKey = (r: InputRecords) => r.tensors.map((t) => t.dims.slice(1).join('x')).join('|');

/**
 * Gathers the records of many files or requests into engine calls. Records of different shapes (open axes) go
 * to different calls; one call runs at a time (the engine uses every core). When a gathered call fails, its
 * members are scored one by one so only the one at fault fails.
 */
export class RecordBatcher {
  private readonly groups = new Map<string, Group>();
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private queued = 0;
  /** Milliseconds spent inside the engine. */
  scoreMs = 0;
  batches = 0;

  constructor(
    private readonly engine: Engine,
    private readonly maxRecords: number,
    private readonly policy: FlushPolicy,
  ) {}

  /** Records waiting for a call. */
  get pendingRecords(): number {
    return this.queued;
  }

  /** Scores one file's (or request's) records; resolves with its rows of every model output. */
  add(records: InputRecords): Promise<Tensor[]> {
    const key = shapeKey(records);
    return new Promise<Tensor[]>((resolve, reject) => {
      let group = this.groups.get(key);
      if (!group) {
        group = { items: [], count: 0 };
        this.groups.set(key, group);
      }
      group.items.push({ records, resolve, reject });
      group.count += records.count;
      this.queued += records.count;
      if (this.policy === 'idle') {
        if (!this.busy) void this.runWhileQueued();
      } else if (group.count >= this.maxRecords) this.flushGroup(key);
    });
  }

  /** Sends every partial batch to the engine (when no more records will come soon). */
  flush(): void {
    for (const key of [...this.groups.keys()]) this.flushGroup(key);
  }

  /** Resolves once every call sent so far has been scored. */
  async drain(): Promise<void> {
    this.flush();
    await this.running;
  }

  private flushGroup(key: string): void {
    const group = this.groups.get(key);
    if (!group || group.items.length === 0) return;
    this.groups.delete(key);
    this.queued -= group.count;
    const items = group.items;
    this.running = this.running.then(() => this.score(items));
  }

  /** `idle`: calls of the oldest shape's waiting requests, up to `maxRecords` (at least one), until none wait. */
  private async runWhileQueued(): Promise<void> {
    this.busy = true;
    try {
      for (let items = this.take(); items.length > 0; items = this.take()) await this.score(items);
    } finally {
      this.busy = false;
    }
  }

  private take(): Pending[] {
    const next = this.groups.entries().next();
    if (next.done) return [];
    const [key, group] = next.value;
    const items: Pending[] = [];
    let count = 0;
    while (group.items.length > 0) {
      const size = group.items[0].records.count;
      if (items.length > 0 && count + size > this.maxRecords) break;
      items.push(group.items.shift() as Pending);
      count += size;
    }
    group.count -= count;
    this.queued -= count;
    if (group.items.length === 0) this.groups.delete(key);
    return items;
  }

  private async score(items: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      if (items.length === 1) {
        items[0].resolve(await this.engine.predict(items[0].records.tensors));
        return;
      }
      // The gathered batch is a new array: the thread may take it (the members keep their own records).
      const outputs = await this.engine.predict(concatRecords(items.map((i) => i.records)), {
        handOver: true,
      });
      let offset = 0;
      for (const item of items) {
        item.resolve(outputs.map((out) => sliceRows(out, offset, item.records.count)));
        offset += item.records.count;
      }
    } catch (error) {
      if (items.length === 1) items[0].reject(error);
      else await this.isolate(items);
    } finally {
      this.scoreMs += performance.now() - started;
      this.batches += 1;
      for (const item of items) recycleRecords(item.records);
    }
  }

  /** A gathered call failed: score its members one by one so only the one at fault fails. */
  private async isolate(items: Pending[]): Promise<void> {
    for (const item of items) {
      try {
        item.resolve(await this.engine.predict(item.records.tensors));
      } catch (error) {
        item.reject(error);
      }
    }
  }
}

function sliceRows(out: Tensor, first: number, count: number): Tensor {
  const rowSize = out.dims.slice(1).reduce((a, b) => a * b, 1);
  return {
    data: out.data.subarray(first * rowSize, (first + count) * rowSize),
    dims: [count, ...out.dims.slice(1)],
  };
}
