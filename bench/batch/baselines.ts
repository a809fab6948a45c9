/** The ceilings the end-to-end job is compared with: the raw storage rate for the same objects. */

import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BucketDriver } from '../../src/storage/index.js';

const OUTPUT_BYTES = 560; // about the size of one MNIST prediction in the seed's format

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Files/s of read every input + write one small output whole (temp file + rename), with no scoring. */
export async function rawFolderRate(source: string, target: string, concurrency = 16): Promise<number> {
  mkdirSync(target, { recursive: true });
  const names = (await readdir(source)).filter((n) => n.endsWith('.json'));
  const body = Buffer.alloc(OUTPUT_BYTES, 0x20);
  const t0 = performance.now();
  await pool(names.length, concurrency, async (i) => {
    await readFile(join(source, names[i]));
    const temp = join(target, `.tmp-${i}`);
    await writeFile(temp, body);
    await rename(temp, join(target, names[i]));
  });
  return (names.length * 1000) / (performance.now() - t0);
}

/** Files/s of GET every input + PUT one small output on the S3 server, with no scoring. */
export async function rawBucketRate(
  source: BucketDriver,
  target: BucketDriver,
  keys: string[],
  concurrency = 32,
): Promise<number> {
  const body = Buffer.alloc(OUTPUT_BYTES, 0x20);
  const t0 = performance.now();
  await pool(keys.length, concurrency, async (i) => {
    await source.get(keys[i]);
    await target.put(keys[i], body);
  });
  return (keys.length * 1000) / (performance.now() - t0);
}
