/** The TF.js baseline: the model rebuilt in TF.js layers, run on `@tensorflow/tfjs-backend-wasm`. */

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tensor } from '../../src/engine/types.js';
import type { ModelDescription } from '../../src/keras/model.js';
import { toTfjsModel } from './tfjs-translate.js';

type Tf = typeof tfTypes;

export interface TfjsRuntime {
  tf: Tf;
  version: string;
  simd: boolean;
  threads: number;
}

let runtime: Promise<TfjsRuntime> | null = null;

/** Loads TF.js with the wasm backend (once); rejects where the packages are not installed. */
export function tfjsWasm(): Promise<TfjsRuntime> {
  runtime ??= (async () => {
    const tf = (await import('@tensorflow/tfjs')) as Tf;
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js wasm backend did not initialize');
    await tf.ready();
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const multi = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    return { tf, version: tf.version.tfjs, simd, threads: multi ? wasm.getThreadsCount() : 1 };
  })();
  return runtime;
}

/** A TF.js model that scores like our engine: tensors in, Float32Arrays out. */
export interface TfjsRunner {
  predict(inputs: Tensor[]): Promise<Tensor[]>;
  dispose(): void;
}

export function tfjsRunner(rt: TfjsRuntime, model: ModelDescription): TfjsRunner {
  const { tf } = rt;
  const tfModel = toTfjsModel(tf, model);
  return {
    async predict(inputs) {
      const xs = inputs.map((t) => tf.tensor(t.data, t.dims, 'float32'));
      const ys = tfModel.predict(xs.length === 1 ? xs[0] : xs);
      const list = Array.isArray(ys) ? ys : [ys];
      const out = await Promise.all(
        list.map(async (y) => ({ data: (await y.data()) as Float32Array, dims: [...y.shape] })),
      );
      for (const t of [...xs, ...list]) t.dispose();
      return out;
    },
    dispose() {
      tfModel.dispose();
    },
  };
}
