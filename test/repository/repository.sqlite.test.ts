import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
