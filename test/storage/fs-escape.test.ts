/** fs driver specifics: symbolic links leaving the folder, temporary files, a missing folder. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsDriver as createDriver, type FsDriverOptions } from '../../src/storage/fs-driver.js';
import { collect, expectStorageError } from './conformance.js';

for (const io of ['async', 'blocking'] as const) {
  const createFsDriver = (options: FsDriverOptions) => createDriver({ ...options, io });
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'kb-fs-esc-'));
    root = join(base, 'bucket');
    outside = join(base, 'outside');
    await mkdir(join(root, 'inner'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret.txt'), 'outside content');
    await writeFile(join(root, 'inner', 'real.json'), '{"a":1}');
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    await symlink(outside, join(root, 'outdir'));
    await symlink(join(root, 'inner', 'real.json'), join(root, 'alias.json'));
    await symlink(join(root, 'inner'), join(root, 'inner-link'));
    await symlink(join(root, 'missing-target'), join(root, 'dangling.json'));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe(`fs driver (${io} calls): symbolic links`, () => {
    it('refuses to read through a link that leaves the folder', async () => {
      const d = createFsDriver({ root });
      const error = await expectStorageError(d.get('leak.txt'), 'STORAGE_INVALID_KEY');
      expect(error.message).toContain('outside');
      expect(error.retryable).toBe(false);
      await expectStorageError(d.head('leak.txt'), 'STORAGE_INVALID_KEY');
      await expectStorageError(d.get('outdir/secret.txt'), 'STORAGE_INVALID_KEY');
    });

    it('refuses to write or delete through a linked folder that leaves the folder', async () => {
      const d = createFsDriver({ root });
      await expectStorageError(d.put('outdir/new.txt', 'x'), 'STORAGE_INVALID_KEY');
      await expectStorageError(d.put('outdir/deeper/new.txt', 'x'), 'STORAGE_INVALID_KEY');
      await expectStorageError(d.delete('outdir/secret.txt'), 'STORAGE_INVALID_KEY');
      expect(await readdir(outside)).toEqual(['secret.txt']);
    });

    it('follows links that stay inside, lists links to files, never walks linked folders', async () => {
      const d = createFsDriver({ root });
      expect(Buffer.from((await d.get('alias.json')).body).toString()).toBe('{"a":1}');
      expect(Buffer.from((await d.get('inner-link/real.json')).body).toString()).toBe('{"a":1}');
      const { keys } = await collect(d);
      // Links to files are listed (an escaping or dangling one fails on get, so no input vanishes silently).
      expect(keys).toEqual(['alias.json', 'dangling.json', 'inner/real.json', 'leak.txt']);
      expect((await collect(d, 'outdir/')).keys).toEqual([]);
      expect((await collect(d, 'inner-link/')).keys).toEqual([]);
      await expectStorageError(d.get('dangling.json'), 'STORAGE_NOT_FOUND');
    });

    it('overwriting a link replaces the link, not its target', async () => {
      const d = createFsDriver({ root });
      await d.put('leak.txt', 'replaced');
      expect(Buffer.from((await d.get('leak.txt')).body).toString()).toBe('replaced');
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('outside content');
    });
  });

  describe(`fs driver (${io} calls): files and folders`, () => {
    it('hides temporary files and refuses the reserved name', async () => {
      const d = createFsDriver({ root });
      await writeFile(join(root, 'inner', '.kb-tmp-abandoned'), 'half');
      expect((await collect(d, 'inner/')).keys).toEqual(['inner/real.json']);
      await expectStorageError(d.put('.kb-tmp-x', 'x'), 'STORAGE_INVALID_KEY');
      await expectStorageError(d.get('inner/.kb-tmp-abandoned'), 'STORAGE_INVALID_KEY');
    });

    it('does not create a missing folder unless asked', async () => {
      const missing = join(base, 'not-yet');
      const strict = createFsDriver({ root: missing });
      await expectStorageError(strict.put('a.json', '{}'), 'STORAGE_NOT_FOUND');
      expect(existsSync(missing)).toBe(false);
      const creating = createFsDriver({ root: missing, create: true });
      await creating.put('a/b.json', '{}');
      expect((await collect(creating)).keys).toEqual(['a/b.json']);
    });

    it('refuses a key where a folder is, and a folder path under a file', async () => {
      const d = createFsDriver({ root });
      await expectStorageError(d.get('inner'), 'STORAGE_NOT_FOUND');
      expect(await d.head('inner')).toBeNull();
      await expect(d.put('inner', 'x')).rejects.toMatchObject({ part: 'storage' });
      await expect(d.put('inner/real.json/below', 'x')).rejects.toMatchObject({ part: 'storage' });
      expect(Buffer.from((await d.get('inner/real.json')).body).toString()).toBe('{"a":1}');
    });

    it('describes itself as the absolute folder and changes the version token on rewrite', async () => {
      const d = createFsDriver({ root: join(base, 'bucket', '..', 'bucket') });
      expect(d.describe()).toBe(root);
      await d.put('v.json', 'one');
      const v1 = (await d.head('v.json'))!.etag;
      expect(v1).toMatch(/^[0-9a-f]+-[0-9a-f]+$/);
      await new Promise((r) => setTimeout(r, 10));
      await d.put('v.json', 'two');
      expect((await d.head('v.json'))!.etag).not.toBe(v1);
    });

    it('pages a big flat folder and stops early when the consumer does', async () => {
      const big = join(base, 'big');
      await mkdir(big);
      await Promise.all(Array.from({ length: 3000 }, (_, i) => writeFile(join(big, `f${i}`), '')));
      const d = createFsDriver({ root: big });
      const iterator = d.list('', { pageSize: 10 })[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value).toHaveLength(10);
      await iterator.return?.(undefined);
      expect((await collect(d, '', 1000)).pages.map((p) => p.length)).toEqual([1000, 1000, 1000]);
    });
  });

  describe(`fs driver (${io} calls): housekeeping`, () => {
    it('removes temp files a killed writer left behind (older than 10 minutes), keeps fresh ones', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kb-sweep-'));
      await writeFile(join(dir, '.kb-tmp-old-1'), 'half');
      const old = new Date(Date.now() - 60 * 60 * 1000);
      await utimes(join(dir, '.kb-tmp-old-1'), old, old);
      await writeFile(join(dir, '.kb-tmp-fresh-1'), 'in progress');
      await createFsDriver({ root: dir }).put('out.json', '{}');
      expect((await readdir(dir)).sort()).toEqual(['.kb-tmp-fresh-1', 'out.json']);
      await rm(dir, { recursive: true, force: true });
    });
  });
}
