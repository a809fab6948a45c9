import type { Engine, Tensor } from '../engine/types.js';
import { concatRecords, type InputRecords } from '../scoring/index.js';

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
 * Gathers the records of many files into micro-batches for the engine, so a job of single-record files
 * still runs the model at batch 256. Records of different shapes (open axes) go to different batches.
 * One engine call runs at a time (the engine uses every core); files keep queueing meanwhile.
 */
export class MicroBatcher {
  private readonly groups = new Map<string, Group>();
  private running: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Milliseconds spent inside the engine. */
  scoreMs = 0;
  batches = 0;

  constructor(
    private readonly engine: Engine,
    private readonly batchSize: number,
  ) {}

  /** Records waiting for a batch. */
  get pendingRecords(): number {
    return this.queued;
  }

  /** Scores one file's records; resolves with that file's rows of every model output. */
  add(records: InputRecords): Promise<Tensor[]> {
    const key = records.tensors.map((t) => t.dims.slice(1).join('x')).join('|');
    return new Promise<Tensor[]>((resolve, reject) => {
      let group = this.groups.get(key);
      if (!group) {
        group = { items: [], count: 0 };
        this.groups.set(key, group);
      }
      group.items.push({ records, resolve, reject });
      group.count += records.count;
      this.queued += records.count;
      if (group.count >= this.batchSize) this.flushGroup(key);
    });
  }

  /** Sends every partial batch to the engine (when no more records will come soon). */
  flush(): void {
    for (const key of [...this.groups.keys()]) this.flushGroup(key);
  }

  /** Resolves once every batch sent so far has been scored. */
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

  private async score(items: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const outputs = await this.engine.predict(concatRecords(items.map((i) => i.records)));
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
    }
  }

  /** A batch failed: score its files one by one so only the file at fault fails. */
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
