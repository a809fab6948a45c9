/**
 * A model upload loads and compiles the file once, in a model thread, with the inference threads the service
 * was opened with; the engine goes to the cache, and its thread ends when the model is deleted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as modelThread from '../../src/engine/model-thread/index.js';
import { openService } from '../../src/service/index.js';
import { exampleModelBytes } from '../api/api-harness.js';

const modelThreads = () => modelThread.modelThreads();

/** Waits (up to 10 s) for `ok`; fails naming the thread count otherwise. */
async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(ok(), `model threads running: ${modelThreads().running}`).toBe(true);
}

vi.mock('../../src/engine/model-thread/index.js', async (original) => {
  const actual = await original<typeof import('../../src/engine/model-thread/index.js')>();
  return { ...actual, openModelInThread: vi.fn(actual.openModelInThread) };
});

const dir = mkdtempSync(join(tmpdir(), 'kb-upload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model upload', () => {
  it('compiles once per upload, with the configured threads, and the version records each layer shape', async () => {
    const service = await openService({
      dataDir: dir,
      logger: pino({ level: 'silent' }),
      threads: 3,
      env: {},
    });
    try {
      const opens = vi.mocked(modelThread.openModelInThread);
      opens.mockClear();
      const running = modelThread.modelThreads().running;
      const file = { name: 'mnist-cnn.keras', bytes: exampleModelBytes() };
      const { model, version } = await service.models.create({ name: 'digits', file });
      expect(opens).toHaveBeenCalledTimes(1);
      expect(opens.mock.calls[0][1]).toMatchObject({ threads: 3 });
      expect(modelThreads().running).toBe(running + 1);
      expect(version.layers.find((l) => l.class_name === 'Dense')?.output_shapes).toEqual([[null, 10]]);
      await service.models.addVersion('digits', { file });
      expect(opens).toHaveBeenCalledTimes(2);
      // the same file: one engine kept, the other disposed (its thread ended)
      await until(() => modelThreads().running === running + 1);
      await service.models.delete(model.id);
      await until(() => modelThreads().running === running);
    } finally {
      await service.close();
    }
  });
});
