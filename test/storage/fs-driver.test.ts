import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createFsDriver } from '../../src/storage/fs-driver.js';
import { registerConformanceTests } from './conformance.js';

const base = await mkdtemp(join(tmpdir(), 'kb-fs-conf-'));
let n = 0;

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

for (const io of ['async', 'blocking'] as const) {
  registerConformanceTests({
    name: `fs (${io} calls)`,
    create: async () => createFsDriver({ root: join(base, `scope-${++n}`), create: true, io }),
    createMissing: async () => createFsDriver({ root: join(base, 'does-not-exist'), io }),
  });
}

// Make sure no temporary file is ever left behind by the suite above.
afterAll(async () => {
  const leftovers: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else if (e.name.startsWith('.kb-tmp-')) leftovers.push(join(dir, e.name));
    }
  };
  await walk(base);
  if (leftovers.length > 0) throw new Error(`temporary files left behind: ${leftovers.join(', ')}`);
});
