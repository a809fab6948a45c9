import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../../src/scoring/index.js';
import type { Mnist } from './mnist.js';

/** How a model wants its pixels: nested 28×28×1 (like the seed) or a flat 784 vector, raw 0–255 or x/255. */
export interface MnistLayout {
  shape: 'image' | 'flat';
  scale: 1 | 'div255';
}

/** The seed-format text of one MNIST image: `{"values": [[[[0.0], ...]]]}` with the batch axis, as in img1.json. */
export function mnistInputText(mnist: Mnist, index: number, layout: MnistLayout): string {
  const px = (i: number) => {
    const v = mnist.images[index * 784 + i];
    return formatNumber(layout.scale === 1 ? v : Math.fround(v / 255));
  };
  if (layout.shape === 'flat') {
    return `{"values": [[${Array.from({ length: 784 }, (_, i) => px(i)).join(', ')}]]}\n`;
  }
  const rows: string[] = [];
  for (let r = 0; r < 28; r += 1) {
    const cells: string[] = [];
    for (let c = 0; c < 28; c += 1) cells.push(`[${px(r * 28 + c)}]`);
    rows.push(`[${cells.join(', ')}]`);
  }
  return `{\n  "values":[[${rows.join(', ')}]]\n}\n`;
}

/** Writes images [0, count) as `img<i>.json` seed-format files into `dir`. */
export function writeMnistFiles(mnist: Mnist, dir: string, count: number, layout: MnistLayout): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i += 1)
    writeFileSync(join(dir, `img${i}.json`), mnistInputText(mnist, i, layout));
}
