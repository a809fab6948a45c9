import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { runBatchJob } from '../../../src/batch/index.js';
import { type OpenModel, openModel } from '../../../src/engine/open-model.js';
import { createFsDriver } from '../../../src/storage/index.js';

/**
 * What the format tests share: the model opened once for the file (in `beforeAll`), a fresh source and target
 * folder per case, and a batch job from one to the other (folders, no file threads).
 */
export function formatJobs(modelPath: string) {
  let opened: OpenModel | undefined;
  let work = '';
  let n = 0;
  beforeAll(async () => {
    opened = await openModel(modelPath, { threads: 1 });
    work = mkdtempSync(join(tmpdir(), 'kb-format-'));
  });
  afterAll(async () => {
    await opened?.engine.dispose();
    rmSync(work, { recursive: true, force: true });
  });
  const model = (): OpenModel => {
    if (!opened) throw new Error('the model is opened in beforeAll');
    return opened;
  };
  return {
    model,
    folders() {
      n += 1;
      const source = join(work, `case${n}`, 'in');
      const target = join(work, `case${n}`, 'out');
      mkdirSync(source, { recursive: true });
      return { source, target };
    },
    job(source: string, target: string, extra: Partial<Parameters<typeof runBatchJob>[0]> = {}) {
      const { engine, sha256 } = model();
      return runBatchJob({
        model: { engine, sha256, name: basename(modelPath) },
        source: createFsDriver({ root: source }),
        target: createFsDriver({ root: target, create: true }),
        ioThreads: 0,
        ...extra,
      });
    },
  };
}
