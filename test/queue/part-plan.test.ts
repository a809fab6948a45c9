import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvFormat } from '../../src/batch/formats/csv.js';
import { jsonlFormat } from '../../src/batch/formats/jsonl.js';
import type { FormatOptions } from '../../src/batch/formats/types.js';
import { partSource, partStart, planParts } from '../../src/queue/part-plan.js';
import type { ShardPart } from '../../src/queue/types.js';
import { createFsDriver } from '../../src/storage/fs-driver.js';
import { type BucketDriver, openObjectStream } from '../../src/storage/index.js';

const specs = [{ name: 'x', shape: [null, 3] as (number | null)[] }];
const outputs = [{ name: 'y', shape: [null, 2] as (number | null)[] }];

function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.floor((x / 2147483648) * n);
  };
}

/** A file of JSON lines of random lengths (blank ones, CRLF ones, and maybe no final newline). */
function jsonlText(seed: number, lines: number): Buffer {
  const rand = random(seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) {
    const kind = rand(10);
    const record =
      kind === 2 ? 'not json' : `{"id":${i},"values":[${i},${rand(9)},-1],"pad":"${'x'.repeat(rand(90))}"}`;
    out.push(kind === 0 ? '' : `${record}${kind === 1 ? '\r' : ''}`);
  }
  return Buffer.from(out.join('\n') + (seed % 2 ? '\n' : ''));
}

/** Random CSV text of ids and three numbers, with the kinds of lines people's files have. */
function csvText(seed: number, rows: number, kind: 'lf' | 'crlf' | 'quoted' | 'multiline'): Buffer {
  const rand = random(seed);
  const eol = kind === 'crlf' ? '\r\n' : '\n';
  const lines: string[] = [kind === 'quoted' ? '"id","a","b","c"' : 'id,a,b,c'];
  if (seed % 3 === 0) lines.unshift('', ''); // blank lines before the header
  for (let i = 0; i < rows; i += 1) {
    const r = rand(40);
    const id = kind === 'quoted' && r % 2 === 0 ? `"r ""${i}"", x"` : `r${i}`;
    if (kind === 'multiline' && i === Math.floor(rows / 2)) lines.push(`"r${i}\nsecond line",1,2,3`);
    else if (r === 0) lines.push('');
    else if (r === 1)
      lines.push(`${id},1,2`); // ragged
    else if (r === 2)
      lines.push(`${id},1,two,3`); // not a number
    else lines.push(`${id},${rand(100)},${rand(1000) / 8},-${rand(50)}`);
  }
  const text = lines.join(eol) + (seed % 2 === 0 ? eol : '');
  return Buffer.from(seed % 5 === 0 ? `\ufeff${text}` : text);
}

async function* chunks(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 61) yield bytes.subarray(at, at + 61);
}

describe('byte-range parts of a large file (planned once, read by range)', () => {
  let dir: string;
  let source: BucketDriver;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-part-plan-'));
    source = createFsDriver({ root: dir });
  });
  afterAll(async () => {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a file and plans its parts (null: scored whole). */
  async function plan(key: string, bytes: Buffer, split: number, format?: 'jsonl') {
    await writeFile(join(dir, key), bytes);
    const etag = (await source.head(key))?.etag ?? '';
    const parts = await planParts(source, [key, etag, bytes.length], split, format, 3);
    return { etag, parts };
  }

  /** The bytes a worker's batch runner gets for a part. */
  async function body(key: string, etag: string, part: ShardPart): Promise<Buffer> {
    const object = await openObjectStream(partSource(source, key, etag, part), key);
    const chunks: Uint8Array[] = [];
    for await (const c of object.body) chunks.push(c);
    return Buffer.concat(chunks);
  }

  it('splits only uncompressed JSON Lines and CSV larger than the size, at line starts', async () => {
    const bytes = jsonlText(1, 40);
    expect((await plan('a.jsonl', bytes, bytes.length)).parts).toBeNull();
    expect((await plan('a.jsonl.gz', bytes, 100)).parts).toBeNull();
    expect((await plan('a.json', bytes, 100)).parts).toBeNull();
    expect((await plan('a.npy', bytes, 100)).parts).toBeNull();
    const { parts } = await plan('data.txt', bytes, 500, 'jsonl');
    expect(parts?.length).toBeGreaterThan(3);
    for (const p of parts ?? []) {
      expect(p.file).toBe(3);
      expect(p.start === 0 || bytes[p.start - 1] === 0x0a).toBe(true);
      expect(p.lines).toBe(bytes.subarray(0, p.start).filter((b) => b === 0x0a).length);
    }
    expect(parts?.map((p) => p.end).slice(0, -1)).toEqual(parts?.slice(1).map((p) => p.start));
    expect(parts?.at(-1)?.end).toBe(bytes.length);
  });

  for (const seed of [1, 2, 3, 4]) {
    for (const split of [1, 7, 64, 500]) {
      it(`JSON Lines ${seed}, parts of ${split} bytes: every line once, in order, numbered as in the file`, async () => {
        const bytes = jsonlText(seed, 60);
        const key = `j${seed}-${split}.jsonl`;
        const { etag, parts } = await plan(key, bytes, split);
        expect(parts === null).toBe(split >= bytes.length);
        const whole = await jsonlItems(bytes, {});
        expect(whole.length).toBeGreaterThan(40);
        const got: unknown[] = [];
        const bodies: Buffer[] = [];
        for (const part of parts ?? []) {
          const b = await body(key, etag, part);
          bodies.push(b);
          got.push(...(await jsonlItems(b, { part: partStart(part) })));
        }
        if (!parts) return;
        expect(Buffer.concat(bodies).equals(bytes)).toBe(true);
        expect(got).toEqual(whole);
      });
    }
  }

  /** What the JSON Lines reader made of a file (or a part): each line's number, id, values or error. */
  async function jsonlItems(bytes: Buffer, options: FormatOptions): Promise<unknown[]> {
    const file = jsonlFormat(specs, { ...options, idField: 'id' }).open('f.jsonl');
    const items: unknown[] = [];
    for await (const page of file.items(chunks(bytes))) {
      for (const item of page) {
        const t = item.records?.tensors[0];
        const values = t && 'data' in t ? [...t.data] : undefined;
        items.push({ n: item.n, line: item.line, id: item.id, values, error: item.error?.code });
      }
    }
    return items;
  }

  /** What a reader made of a file (or a part): each row's number, line, id, values or error, and the header. */
  async function readItems(bytes: Buffer, options: FormatOptions) {
    const file = csvFormat(specs, outputs, options).open('f.csv');
    const rows: unknown[] = [];
    try {
      for await (const page of file.items(chunks(bytes))) {
        for (const item of page) {
          const t = item.records?.tensors[0];
          const values = t && 'data' in t ? [...t.data] : undefined;
          rows.push({ n: item.n, line: item.line, id: item.id, values, error: item.error?.code });
        }
      }
    } catch (error) {
      rows.push(`thrown ${(error as Error).message}`);
    }
    return { rows, header: file.prelude?.() ?? '' };
  }

  for (const kind of ['lf', 'crlf', 'quoted', 'multiline'] as const) {
    for (const seed of [1, 2, 3, 5, 6]) {
      it(`CSV ${kind} ${seed}: the parts' rows are the file's rows, numbered alike, one header out`, async () => {
        const bytes = csvText(seed, 80, kind);
        const options: FormatOptions = { idColumn: 'id' };
        const whole = await readItems(bytes, options);
        expect(whole.rows.length).toBeGreaterThan(70);
        expect(whole.header.startsWith('id,prediction_0')).toBe(true);
        for (const split of [1, 9, 64, 700]) {
          const key = `c-${kind}-${seed}-${split}.csv`;
          const { etag, parts } = await plan(key, bytes, split);
          // Cut only before the quoted field that holds a line break: the last part reads on from there.
          const open = kind === 'multiline' ? bytes.indexOf('"r40\n') : bytes.length;
          expect(open).toBeGreaterThan(0);
          expect(parts === null, `parts of ${split} bytes`).toBe(split >= open);
          const rows: unknown[] = [];
          const headers: string[] = [];
          for (const part of parts ?? []) {
            const read = await readItems(await body(key, etag, part), { ...options, part: partStart(part) });
            rows.push(...read.rows);
            if (read.header) headers.push(read.header);
          }
          if (!parts) continue;
          expect(rows, `parts of ${split} bytes`).toEqual(whole.rows);
          expect(headers).toEqual([whole.header]);
          expect(parts.every((p) => p.start < open)).toBe(true);
          expect(parts.at(-1)?.end).toBe(bytes.length);
        }
      });
    }
  }

  it('a part of a file that changed after it was cut fails with a clear error', async () => {
    const bytes = jsonlText(2, 60);
    const { etag, parts } = await plan('moving.jsonl', bytes, 500);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(dir, 'moving.jsonl'), Buffer.concat([bytes, Buffer.from('{"n": 1}\n')]));
    const part = (parts ?? [])[1];
    await expect(body('moving.jsonl', etag, part)).rejects.toThrow(
      /changed while the job ran: its part 2 of/,
    );
  });
});
