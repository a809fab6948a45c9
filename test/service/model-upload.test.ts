/** A model upload loads and compiles the file once, with the inference threads the service was opened with. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as compile from '../../src/engine/compile.js';
import * as engine from '../../src/engine/index.js';
import { openService } from '../../src/service/index.js';
import { exampleModelBytes } from '../api/api-harness.js';

vi.mock('../../src/engine/compile.js', async (original) => {
  const actual = await original<typeof import('../../src/engine/compile.js')>();
  return { ...actual, compileToOnnx: vi.fn(actual.compileToOnnx) };
});
vi.mock('../../src/engine/index.js', async (original) => {
  const actual = await original<typeof import('../../src/engine/index.js')>();
  return { ...actual, createEngine: vi.fn(actual.createEngine) };
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
      const compiles = vi.mocked(compile.compileToOnnx);
      const engines = vi.mocked(engine.createEngine);
      compiles.mockClear();
      engines.mockClear();
      const file = { name: 'mnist-cnn.keras', bytes: exampleModelBytes() };
      const { version } = await service.models.create({ name: 'digits', file });
      expect(compiles).toHaveBeenCalledTimes(1);
      expect(engines).toHaveBeenCalledTimes(1);
      expect(engines.mock.calls[0][1]).toEqual({ threads: 3 });
      expect(version.layers.find((l) => l.class_name === 'Dense')?.output_shapes).toEqual([[null, 10]]);
      await service.models.addVersion('digits', { file });
      expect(compiles).toHaveBeenCalledTimes(2);
    } finally {
      await service.close();
    }
  });
});
