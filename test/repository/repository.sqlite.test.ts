import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRepository } from '../../src/repository/index.js';
import { registerRepositorySuite } from './repository-suite.js';

registerRepositorySuite('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-repo-'));
  return {
    open: () => openRepository({ dataDir: dir }),
    reopen: () => openRepository({ dataDir: dir }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SQLite data dir permissions', () => {
  it('creates the data dir 0700 and the database with its WAL files 0600, whatever the umask', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'kb-repo-mode-'));
    const dir = join(parent, 'data');
    const umask = process.umask(0o022);
    try {
      const repo = await openRepository({ dataDir: dir });
      await repo.models.listModels({ limit: 1, offset: 0 });
      const files = readdirSync(dir).filter((f) => f.startsWith('keras-batch.sqlite'));
      expect(files).toEqual(expect.arrayContaining(['keras-batch.sqlite', 'keras-batch.sqlite-wal']));
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const f of files) expect([f, statSync(join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
      await repo.close();
    } finally {
      process.umask(umask);
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
