import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The MNIST test set from ../shared/datasets/mnist (IDX files): 10,000 28×28 uint8 images and their labels. */
export interface Mnist {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

export function readMnist(shared: string): Mnist {
  const dir = join(shared, 'datasets', 'mnist');
  const images = gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049)
    throw new Error('not MNIST IDX files');
  const count = images.readUInt32BE(4);
  return { count, images: new Uint8Array(images.subarray(16)), labels: new Uint8Array(labels.subarray(8)) };
}

/** Pixels of images [first, first+n) as float32, scaled by `scale` (1/255 or 1). */
export function mnistBatch(mnist: Mnist, first: number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n * 784);
  const src = mnist.images.subarray(first * 784, (first + n) * 784);
  for (let i = 0; i < src.length; i += 1) out[i] = src[i] * scale;
  return out;
}

/** How many of the 10,000 images the engine classifies right when fed directly (the reference for batch jobs). */
export async function engineCorrect(
  engine: {
    inputs: { shape: (number | null)[] }[];
    predict(t: { data: Float32Array; dims: number[] }[]): Promise<{ data: Float32Array; dims: number[] }[]>;
  },
  mnist: Mnist,
  scale: number,
  batch = 500,
): Promise<number> {
  const inner = engine.inputs[0].shape.slice(1) as number[];
  let correct = 0;
  for (let first = 0; first < mnist.count; first += batch) {
    const data = mnistBatch(mnist, first, batch, scale);
    const [out] = await engine.predict([{ data, dims: [batch, ...inner] }]);
    const classes = out.dims[1];
    for (let r = 0; r < batch; r += 1) {
      let best = 0;
      for (let c = 1; c < classes; c += 1)
        if (out.data[r * classes + c] > out.data[r * classes + best]) best = c;
      if (best === mnist.labels[first + r]) correct += 1;
    }
  }
  return correct;
}
