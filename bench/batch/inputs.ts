/** Seed-format MNIST input files for the end-to-end bench (synthetic digits where ../shared is absent). */

import { mkdirSync, writeFileSync } from 'node:fs';
import { link, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readMnist } from '../../test/helpers/mnist.js';
import { mnistInputText } from '../../test/helpers/mnist-files.js';

/** Writes `count` files `img<i>.json` (about 12 KB each, the seed's layout) and says where they came from. */
export function writeInputs(sharedDir: string | null, dir: string, count: number): string {
  mkdirSync(dir, { recursive: true });
  let mnist: ReturnType<typeof readMnist>;
  let origin: string;
  if (sharedDir) {
    mnist = readMnist(sharedDir);
    origin = 'MNIST test images';
  } else {
    let seed = 7;
    const images = new Uint8Array(10_000 * 784).map(() => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % 7 === 0 ? seed % 256 : 0;
    });
    mnist = { count: 10_000, images, labels: new Uint8Array(10_000) };
    origin = 'synthetic images (../shared absent)';
  }
  for (let i = 0; i < count; i += 1) {
    writeFileSync(
      join(dir, `img${i}.json`),
      mnistInputText(mnist, i % mnist.count, { shape: 'image', scale: 'div255' }),
    );
  }
  return origin;
}

/** A folder of `count` inputs made of hard links to the files of `from` (cheap: no extra data on disk). */
export async function linkInputs(from: string, dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = (await readdir(from)).filter((n) => n.endsWith('.json'));
  for (let i = 0; i < count; i += 1) await link(join(from, names[i % names.length]), join(dir, `x${i}.json`));
}
