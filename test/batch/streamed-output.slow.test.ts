/**
 * A large output is streamed to the target as it is formatted (never one string), byte for byte the text it
 * was before, and whole or absent. A tiny Dense model (hostile_fixtures.py h5-dense: its outputs are its bias,
 * the same row for every record) scores 60,000 records (~23 MiB of output, over the 16 MiB streaming threshold)
 * and one record; the target is the real fs driver, watched: the big output arrives through putStream in
 * pieces, the small one through put.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/batch/index.js';
import { type OpenModel, openModel } from '../../src/engine/open-model.js';
import { type BucketDriver, createFsDriver } from '../../src/storage/index.js';
import { kerasPython } from '../helpers/python-keras.js';

const run = promisify(execFile);
const python = kerasPython();
const suite = python || process.env.CI ? describe : describe.skip;
if (!python && !process.env.CI) console.warn('streamed-output: skipped, no .venv Python with h5py');
const RECORDS = 60_000;

suite('a large output is streamed to the target', () => {
  let work: string;
  let model: OpenModel;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-streamed-'));
    const fixtures = join(import.meta.dirname, '..', 'robustness', 'hostile_fixtures.py');
    await run(python ?? 'python3', [fixtures, 'h5-dense', join(work, 'dense.h5'), '10']);
    model = await openModel(join(work, 'dense.h5'), { threads: 1 });
    mkdirSync(join(work, 'in'));
    const rows = new Array<string>(RECORDS).fill('[0.5, 0.25, 0.125, 1.0]');
    writeFileSync(join(work, 'in', 'big.json'), `{"values": [${rows.join(', ')}]}`);
    writeFileSync(join(work, 'in', 'small.json'), '{"values": [[1, 2, 3, 4]]}');
  }, 120_000);
  afterAll(async () => {
    await model?.engine.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  for (const ioThreads of [0, 2]) {
    it(`writes it piece by piece, byte for byte the whole text (io threads: ${ioThreads})`, async () => {
      const out = join(work, `out-${ioThreads}`);
      const real = createFsDriver({ root: out, create: true });
      const puts: string[] = [];
      const streamed = new Map<string, number[]>();
      const target: BucketDriver = {
        ...real,
        put: (key, body, options) => {
          puts.push(key);
          return real.put(key, body, options);
        },
        putStream: (key, body, options) => {
          const sizes: number[] = [];
          streamed.set(key, sizes);
          const watched = (async function* () {
            for await (const piece of body) {
              sizes.push(piece.length);
              yield piece;
            }
          })();
          return real.putStream?.(key, watched, options) as ReturnType<
            NonNullable<BucketDriver['putStream']>
          >;
        },
      };
      const report = await runBatchJob({
        model: { engine: model.engine, sha256: model.sha256, name: 'dense.h5' },
        source: createFsDriver({ root: join(work, 'in') }),
        target,
        ioThreads,
      });
      expect(report.counts).toMatchObject({ scored: 2, failed: 0, records: RECORDS + 1 });

      const pieces = streamed.get('big.json') ?? [];
      expect(pieces.length).toBeGreaterThan(10); // ~1 MiB pieces, never the whole
      expect(Math.max(...pieces)).toBeLessThan(2 * 2 ** 20);
      expect(puts).not.toContain('big.json');
      expect(streamed.has('small.json')).toBe(false);

      // Every record's row is the bias: the small file's one row, so the big text is known exactly.
      const small = readFileSync(join(out, 'small.json'), 'utf8');
      const row = /"values": (.*)\}\}$/.exec(small)?.[1] as string;
      expect(row).toMatch(/^\[\[/);
      const big = readFileSync(join(out, 'big.json'), 'utf8');
      const expected = `{"big.json": {"fields": ["prediction", "prediction_classes", "probability"], "values": [${new Array(RECORDS).fill(row).join(', ')}]}}`;
      expect(big.length).toBeGreaterThan(16 * 2 ** 20);
      expect(big === expected).toBe(true);
      expect(readdirSync(out).filter((f) => f.startsWith('.kb-tmp-'))).toEqual([]);
    }, 180_000);
  }
});
