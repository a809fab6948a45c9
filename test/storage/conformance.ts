/**
 * The conformance suite every bucket driver passes. `registerConformanceTests` registers the tests for a
 * driver factory inside the caller's test file (fs-driver.test.ts, s3-driver.s3.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isStorageError, type StorageErrorCode } from '../../src/storage/errors.js';
import {
  type BucketDriver,
  type ObjectEntry,
  openObjectStream,
  putObjectStream,
} from '../../src/storage/types.js';

/** How the suite gets drivers. */
export interface DriverFactory {
  /** Name shown in the test titles. */
  name: string;
  /** A driver over a fresh, empty scope (folder or bucket prefix) of its own. */
  create(): Promise<BucketDriver>;
  /** A driver over a bucket or folder that does not exist. */
  createMissing(): Promise<BucketDriver>;
  /** Strings that must never appear in `describe()` or error messages (credentials). */
  secrets?: string[];
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Collects a listing: its pages and all keys. */
export async function collect(driver: BucketDriver, prefix?: string, pageSize?: number) {
  const pages: ObjectEntry[][] = [];
  for await (const page of driver.list(prefix, pageSize === undefined ? {} : { pageSize })) pages.push(page);
  return { pages, entries: pages.flat(), keys: pages.flat().map((e) => e.key) };
}

/** Expects `promise` to reject with a StorageError of `code`; returns the error. */
export async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeDefined();
  if (!isStorageError(error)) throw error;
  expect(error.code).toBe(code);
  expect(error.message.startsWith('[storage] ')).toBe(true);
  return error;
}

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const text = (body: Uint8Array) => Buffer.from(body).toString('utf8');

/** Registers the conformance tests for one driver. */
export function registerConformanceTests(factory: DriverFactory): void {
  describe(`${factory.name} driver conformance`, () => {
    const open: BucketDriver[] = [];
    const fresh = async () => {
      const driver = await factory.create();
      open.push(driver);
      return driver;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((d) => d.close()));
    });

    it('puts, gets, heads, lists and deletes an object', async () => {
      const d = await fresh();
      const before = Date.now();
      await d.put('a.json', '{"values":[1]}');
      const got = await d.get('a.json');
      expect(got.key).toBe('a.json');
      expect(text(got.body)).toBe('{"values":[1]}');
      expect(got.size).toBe(14);
      expect(got.etag).not.toBe('');
      expect(Math.abs(got.lastModified.getTime() - before)).toBeLessThan(60_000);
      const head = await d.head('a.json');
      expect(head).toMatchObject({ size: 14, etag: got.etag });
      const { entries } = await collect(d);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ key: 'a.json', size: 14, etag: got.etag });
      expect(entries[0].lastModified).toBeInstanceOf(Date);
      await d.delete('a.json');
      expect(await d.head('a.json')).toBeNull();
      expect((await collect(d)).keys).toEqual([]);
      await d.delete('a.json'); // deleting a missing key succeeds
    });

    it('overwrites an object whole and changes its version', async () => {
      const d = await fresh();
      await d.put('k.json', 'first version, longer');
      const v1 = await d.head('k.json');
      await new Promise((r) => setTimeout(r, 5));
      await d.put('k.json', 'second');
      const got = await d.get('k.json');
      expect(text(got.body)).toBe('second');
      expect(got.size).toBe(6);
      expect(got.etag).not.toBe(v1?.etag);
      expect((await collect(d)).keys).toEqual(['k.json']);
    });

    it('stores nested keys and lists them recursively in key order', async () => {
      const d = await fresh();
      const keys = ['e.json', 'a/b/c.json', 'a/d.json', 'a-b.json', 'a/b.json', 'z/y/x/w.json'];
      for (const k of keys) await d.put(k, k);
      const { keys: listed } = await collect(d);
      expect(listed).toEqual([...keys].sort(utf8Order));
      for (const k of keys) expect(text((await d.get(k)).body)).toBe(k);
    });

    it('keeps binary content byte for byte, including empty objects', async () => {
      const d = await fresh();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = randomBytes(300_000);
      await d.put('bin/all-bytes', all);
      await d.put('bin/random', big);
      await d.put('bin/empty', new Uint8Array(0));
      expect(Buffer.from((await d.get('bin/all-bytes')).body).equals(Buffer.from(all))).toBe(true);
      expect(Buffer.from((await d.get('bin/random')).body).equals(big)).toBe(true);
      const empty = await d.get('bin/empty');
      expect(empty.body.byteLength).toBe(0);
      expect(await d.head('bin/empty')).toMatchObject({ size: 0 });
    });

    it('reports a missing key as STORAGE_NOT_FOUND, not retryable, and head as null', async () => {
      const d = await fresh();
      const error = await expectStorageError(d.get('nope/missing.json'), 'STORAGE_NOT_FOUND');
      expect(error.retryable).toBe(false);
      expect(error.key).toBe('nope/missing.json');
      expect(error.message).toContain('missing.json');
      expect(await d.head('nope/missing.json')).toBeNull();
    });

    it('lists with a prefix as a plain string prefix', async () => {
      const d = await fresh();
      for (const k of ['in/1.json', 'in/2.json', 'in/sub/3.json', 'in2/x.json', 'out/1.json', 'inz.json']) {
        await d.put(k, k);
      }
      expect((await collect(d, 'in/')).keys).toEqual(['in/1.json', 'in/2.json', 'in/sub/3.json']);
      expect((await collect(d, 'in')).keys).toEqual([
        'in/1.json',
        'in/2.json',
        'in/sub/3.json',
        'in2/x.json',
        'inz.json',
      ]);
      expect((await collect(d, 'in/s')).keys).toEqual(['in/sub/3.json']);
      expect((await collect(d, 'in/1.json')).keys).toEqual(['in/1.json']);
      expect((await collect(d, 'zzz')).keys).toEqual([]);
      expect((await collect(d, 'nothing/here/')).keys).toEqual([]);
    });

    it('pages listings of more than 1,000 keys (page size 100 and the default)', async () => {
      const d = await fresh();
      const keys = Array.from({ length: 1500 }, (_, i) => `many/${String(i).padStart(5, '0')}.json`);
      await mapLimit(keys, 32, (k) => d.put(k, '{}'));
      await d.put('other.json', '{}');

      const small = await collect(d, 'many/', 100);
      expect(small.pages.length).toBe(15);
      for (const page of small.pages) expect(page.length).toBeLessThanOrEqual(100);
      expect(small.keys).toEqual(keys);

      const byDefault = await collect(d);
      expect(byDefault.pages.length).toBeGreaterThanOrEqual(2);
      for (const page of byDefault.pages) expect(page.length).toBeLessThanOrEqual(1000);
      expect(byDefault.keys).toEqual([...keys, 'other.json'].sort(utf8Order));
      expect(new Set(byDefault.keys).size).toBe(1501);

      // A consumer that stops early does not read the rest.
      let pagesRead = 0;
      for await (const _page of d.list('many/', { pageSize: 100 })) {
        if (++pagesRead === 2) break;
      }
      expect(pagesRead).toBe(2);
    });

    it('handles keys with spaces, unicode and URL-special characters', async () => {
      const d = await fresh();
      const keys = [
        'with space.json',
        'ünïcødé/漢字 テスト.json',
        'emoji 😀/ok.json',
        'plus+and&equals=question?.json',
        'percent%20hash#.json',
        'Ωmega.json',
      ];
      for (const k of keys) await d.put(k, `content of ${k}`);
      expect((await collect(d)).keys).toEqual([...keys].sort(utf8Order));
      for (const k of keys) {
        expect(text((await d.get(k)).body)).toBe(`content of ${k}`);
        expect(await d.head(k)).not.toBeNull();
      }
      expect((await collect(d, 'ünïcødé/')).keys).toEqual(['ünïcødé/漢字 テスト.json']);
      await d.delete('with space.json');
      expect(await d.head('with space.json')).toBeNull();
    });

    it('refuses keys that escape the scope or are malformed', async () => {
      const d = await fresh();
      for (const key of [
        '../outside.json',
        'a/../../b',
        '/etc/passwd',
        '',
        'a//b',
        'dir/',
        './x',
        'a/./b',
        'nul\0x',
      ]) {
        await expectStorageError(d.put(key, 'x'), 'STORAGE_INVALID_KEY');
        await expectStorageError(d.get(key), 'STORAGE_INVALID_KEY');
        await expectStorageError(d.head(key), 'STORAGE_INVALID_KEY');
        await expectStorageError(d.delete(key), 'STORAGE_INVALID_KEY');
      }
      const error = await expectStorageError(d.get('../x'), 'STORAGE_INVALID_KEY');
      expect(error.retryable).toBe(false);
      await expectStorageError(collect(d, '../'), 'STORAGE_INVALID_KEY');
      expect((await collect(d)).keys).toEqual([]);
    });

    it('takes concurrent puts: distinct keys all land, one key ends whole', async () => {
      const d = await fresh();
      const keys = Array.from({ length: 64 }, (_, i) => `c/${i}.json`);
      await Promise.all(keys.map((k) => d.put(k, k)));
      expect((await collect(d, 'c/')).keys.sort()).toEqual([...keys].sort());
      const versions = Array.from({ length: 16 }, (_, i) => Buffer.alloc(50_000 + i, 65 + i));
      await Promise.all(versions.map((v) => d.put('same.bin', v)));
      const got = Buffer.from((await d.get('same.bin')).body);
      expect(versions.some((v) => v.equals(got))).toBe(true);
    });

    it('never shows a put half-written', async () => {
      const d = await fresh();
      const size = 2_000_000;
      const version = (i: number) => Buffer.alloc(size + i, 97 + (i % 26));
      await d.put('big.bin', version(0));
      let writing = true;
      const writer = (async () => {
        for (let i = 1; i <= 6; i++) await d.put('big.bin', version(i));
        writing = false;
      })();
      let reads = 0;
      while (writing || reads < 3) {
        const listed = (await collect(d)).entries;
        expect(listed.map((e) => e.key)).toEqual(['big.bin']);
        const body = Buffer.from((await d.get('big.bin')).body);
        const i = body.length - size;
        expect(i >= 0 && i <= 6).toBe(true);
        expect(body.equals(version(i))).toBe(true);
        reads++;
      }
      await writer;
      expect((await d.get('big.bin')).size).toBe(size + 6);
    });

    it('reports a missing bucket or folder as STORAGE_NOT_FOUND', async () => {
      const d = await factory.createMissing();
      open.push(d);
      await expectStorageError(collect(d), 'STORAGE_NOT_FOUND');
      await expectStorageError(d.get('a.json'), 'STORAGE_NOT_FOUND');
    });

    it('describes itself without secrets and refuses use after close', async () => {
      const d = await fresh();
      const description = d.describe();
      expect(description.length).toBeGreaterThan(0);
      for (const secret of factory.secrets ?? []) expect(description).not.toContain(secret);
      await d.close();
      await d.close();
      await expectStorageError(d.get('a.json'), 'STORAGE_CLOSED');
      await expectStorageError(d.put('a.json', 'x'), 'STORAGE_CLOSED');
      await expectStorageError(collect(d), 'STORAGE_CLOSED');
    });

    it('streams an object in and out (several upload parts), whole or absent', async () => {
      const d = await fresh();
      const part = randomBytes(3 * 1024 * 1024);
      async function* chunks() {
        for (let i = 0; i < 4; i += 1) yield part; // 12 MiB: more than one 8 MiB part on S3
        yield 'tail';
      }
      await putObjectStream(d, 'big/streamed.bin', chunks(), { contentType: 'application/octet-stream' });
      const opened = await openObjectStream(d, 'big/streamed.bin');
      expect(opened.size).toBe(12 * 1024 * 1024 + 4);
      const head = await d.head('big/streamed.bin');
      expect(opened.etag).toBe(head?.etag);
      let seen = 0;
      let pieces = 0;
      const tail: Buffer[] = [];
      for await (const chunk of opened.body) {
        const at = seen;
        seen += chunk.byteLength;
        pieces += 1;
        if (at < part.length)
          expect(Buffer.from(chunk.subarray(0, Math.min(16, part.length - at)))).toEqual(
            part.subarray(at, at + Math.min(16, part.length - at)),
          );
        if (seen > 12 * 1024 * 1024) tail.push(Buffer.from(chunk));
      }
      expect(seen).toBe(12 * 1024 * 1024 + 4);
      expect(pieces).toBeGreaterThan(1);
      expect(Buffer.concat(tail).subarray(-4).toString()).toBe('tail');
      async function* failing() {
        yield 'first part';
        throw new Error('the body broke');
      }
      await expect(putObjectStream(d, 'broken.txt', failing())).rejects.toThrow('the body broke');
      expect(await d.head('broken.txt')).toBeNull();
      // broken after a whole upload part went (a streamed output refused past output-bytes-per-file): absent too
      async function* failingLate() {
        for (let i = 0; i < 10; i += 1) yield 'x'.repeat(1024 * 1024);
        throw new Error('the body broke late');
      }
      await expect(putObjectStream(d, 'broken-late.txt', failingLate())).rejects.toThrow(
        'the body broke late',
      );
      expect(await d.head('broken-late.txt')).toBeNull();
      expect((await collect(d)).keys).toEqual(['big/streamed.bin']);
      await expectStorageError(openObjectStream(d, 'missing.txt'), 'STORAGE_NOT_FOUND');
    });

    it("reads a byte range of an object, with the whole object's size and version", async () => {
      const d = await fresh();
      const bytes = randomBytes(200_000);
      await d.put('ranged.bin', bytes);
      const head = await d.head('ranged.bin');
      const read = async (start: number, end: number) => {
        const opened = await openObjectStream(d, 'ranged.bin', { start, end });
        expect(opened.size).toBe(bytes.length);
        expect(opened.etag).toBe(head?.etag);
        const chunks: Uint8Array[] = [];
        for await (const chunk of opened.body) chunks.push(chunk);
        return Buffer.concat(chunks);
      };
      for (const [start, end] of [
        [0, 1],
        [0, 200_000],
        [1, 70_001],
        [65_536, 131_073],
        [199_999, 200_000],
      ])
        expect((await read(start, end)).equals(bytes.subarray(start, end)), `${start}-${end}`).toBe(true);
      await expectStorageError(openObjectStream(d, 'missing.txt', { start: 0, end: 5 }), 'STORAGE_NOT_FOUND');
    });
  });
}
