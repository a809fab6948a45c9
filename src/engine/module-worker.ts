import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Transferable, Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` beside `here` (an `import.meta.url`): the compiled `name.js`, or
 * `name.ts` through tsx's loader when the caller itself runs from source (tsx, vitest).
 */
export function startModuleWorker(
  here: string,
  name: string,
  workerData: unknown,
  transferList: Transferable[] = [],
): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), { workerData, transferList });
  const tsxDir = dirname(createRequire(here).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL(`./${name}.ts`, here).href;
  const boot = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList });
}
