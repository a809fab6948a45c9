/**
 * A large output is streamed to the target as it is formatted (never one string), byte for byte the text it
 * was before, and whole or absent. A tiny Dense model (hostile_fixtures.py h5-dense: its outputs are its bias,
 * the same row for every record) scores 60,000 records (~23 MiB of output, over the 16 MiB streaming threshold)
 * and one record; the target is the real fs driver, then a real S3 server (versitygw over HTTP), watched: the big
 * output arrives through putStream in pieces (a multipart upload on S3, none left open), the small one through put.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchJob } from '../../src/batch/index.js';
import { type OpenModel, openModel } from '../../src/engine/open-model.js';
import { type BucketDriver, createFsDriver } from '../../src/storage/index.js';
import { kerasPython } from '../helpers/python-keras.js';
import { startS3Server, testBucket } from '../helpers/s3-server.js';

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
      const { target, puts, streamed } = watched(createFsDriver({ root: out, create: true }));
      const report = await runBatchJob({
        model: { engine: model.engine, sha256: model.sha256, name: 'dense.h5' },
        source: createFsDriver({ root: join(work, 'in') }),
        target,
        ioThreads,
      });
      expect(report.counts).toMatchObject({ scored: 2, failed: 0, records: RECORDS + 1 });

      expectStreamed(puts, streamed);
      expectBigOutput(
        readFileSync(join(out, 'small.json'), 'utf8'),
        readFileSync(join(out, 'big.json'), 'utf8'),
      );
      expect(readdirSync(out).filter((f) => f.startsWith('.kb-tmp-'))).toEqual([]);
    }, 180_000);
  }

  it('streams it to an S3 target as a multipart upload, byte for byte, with no upload left open', async () => {
    const s3 = await startS3Server();
    try {
      await s3.createBucket('out');
      const real = testBucket(s3, 'out');
      const { target, puts, streamed } = watched(real);
      const report = await runBatchJob({
        model: { engine: model.engine, sha256: model.sha256, name: 'dense.h5' },
        source: createFsDriver({ root: join(work, 'in') }),
        target,
        ioThreads: 2,
      });
      expect(report.counts).toMatchObject({ scored: 2, failed: 0, records: RECORDS + 1 });
      expectStreamed(puts, streamed);
      const text = async (key: string) => Buffer.from((await real.get(key)).body).toString('utf8');
      expectBigOutput(await text('small.json'), await text('big.json'));
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
      const open = await client.send(new ListMultipartUploadsCommand({ Bucket: 'out' }));
      expect(open.Uploads ?? []).toEqual([]);
      client.destroy();
      await real.close();
    } finally {
      await s3.stop();
    }
  }, 180_000);
});

/** A target that records which keys came through `put` and the piece sizes of those through `putStream`. */
function watched(real: BucketDriver) {
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
      const pieces = (async function* () {
        for await (const piece of body) {
          sizes.push(piece.length);
          yield piece;
        }
      })();
      return real.putStream?.(key, pieces, options) as ReturnType<NonNullable<BucketDriver['putStream']>>;
    },
  };
  return { target, puts, streamed };
}

/** The big output went through putStream in ~1 MiB pieces, never whole; the small one through put. */
function expectStreamed(puts: string[], streamed: Map<string, number[]>) {
  const pieces = streamed.get('big.json') ?? [];
  expect(pieces.length).toBeGreaterThan(10);
  expect(Math.max(...pieces)).toBeLessThan(2 * 2 ** 20);
  expect(puts).not.toContain('big.json');
  expect(streamed.has('small.json')).toBe(false);
}

/** Every record's row is the bias: the small file's one row, so the big text is known exactly. */
function expectBigOutput(small: string, big: string) {
  const row = /"values": (.*)\}\}$/.exec(small)?.[1] as string;
  expect(row).toMatch(/^\[\[/);
  const expected = `{"big.json": {"fields": ["prediction", "prediction_classes", "probability"], "values": [${new Array(RECORDS).fill(row).join(', ')}]}}`;
  expect(big.length).toBeGreaterThan(16 * 2 ** 20);
  expect(big === expected).toBe(true);
}
