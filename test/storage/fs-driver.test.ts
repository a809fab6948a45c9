import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('fs removeEmptyFolder', () => {
  it('removes an emptied folder, keeps one that holds something, and a later put makes it again', async () => {
    const root = join(base, 'empty-folders');
    const driver = createFsDriver({ root, create: true });
    await driver.put('jobs/claims/a.jsonl', 'a\n');
    await driver.put('jobs/claims/b.jsonl', 'b\n');
    await driver.delete('jobs/claims/a.jsonl');
    await driver.removeEmptyFolder?.('jobs/claims/');
    expect(await readdir(join(root, 'jobs', 'claims'))).toEqual(['b.jsonl']);
    await driver.delete('jobs/claims/b.jsonl');
    await driver.removeEmptyFolder?.('jobs/claims/');
    expect(await readdir(join(root, 'jobs'))).toEqual([]);
    await driver.removeEmptyFolder?.('jobs/claims/'); // already gone: nothing happens
    // The same driver put there before: it makes the folder again.
    await driver.put('jobs/claims/c.jsonl', 'c\n');
    expect((await stat(join(root, 'jobs', 'claims', 'c.jsonl'))).size).toBe(2);
    await driver.removeEmptyFolder?.('');
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it("with leftoverTemps, a killed writer's temp file goes with the folder; without, the folder stays", async () => {
    const root = join(base, 'leftover-temps');
    const driver = createFsDriver({ root, create: true });
    await driver.put('jobs/claims/a.jsonl', 'a\n');
    await driver.delete('jobs/claims/a.jsonl');
    // What a process SIGKILLed between opening its temp file and renaming it leaves.
    await writeFile(join(root, 'jobs', 'claims', '.kb-tmp-0123456789ab-7'), 'half a cl');
    await driver.removeEmptyFolder?.('jobs/claims/');
    expect(await readdir(join(root, 'jobs', 'claims'))).toEqual(['.kb-tmp-0123456789ab-7']);
    await driver.removeEmptyFolder?.('jobs/claims/', { leftoverTemps: true });
    expect(await readdir(join(root, 'jobs'))).toEqual([]);
  });
});
