import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readZipEntries, unsafeEntryName } from '../../../src/scoring/formats/zip-entries.js';
import { exampleInputs, exampleModel } from '../../helpers/batch-files.js';
import { formatJobs } from './format-jobs.js';

const inputs = exampleInputs();
const { folders, job } = formatJobs(exampleModel);

/** A zip whose entries are taken as given (fflate writes `../` and absolute names as they are). */
const zipOf = (entries: Record<string, string | Uint8Array>) =>
  zipSync(
    Object.fromEntries(
      Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]),
    ),
  );

describe('zips of seed files', () => {
  it('scores each entry as a seed file: a folder of outputs byte-identical to the same files scored loose', async () => {
    const zipped = folders();
    const loose = folders();
    const entries: Record<string, string> = {};
    for (const [i, text] of inputs.entries()) {
      entries[`batch/img${i + 1}.json`] = text;
      mkdirSync(join(loose.source, 'batch'), { recursive: true });
      writeFileSync(join(loose.source, 'batch', `img${i + 1}.json`), text);
    }
    writeFileSync(join(zipped.source, 'wml.zip'), zipOf(entries));
    const report = await job(zipped.source, zipped.target);
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: 10 });
    await job(loose.source, loose.target);
    for (let i = 1; i <= 10; i += 1) {
      const ours = readFileSync(join(zipped.target, 'wml', 'batch', `img${i}.json`), 'utf8');
      // The seed keys the output by the file's name: here the entry's name.
      const want = readFileSync(join(loose.target, 'batch', `img${i}.json`), 'utf8').replace(
        `{"img${i}.json":`,
        `{"batch/img${i}.json":`,
      );
      expect(ours).toBe(want);
    }
  });

  it('writes one zip of outputs with --output-format zip, and resumes it per zip', async () => {
    const { source, target } = folders();
    writeFileSync(join(source, 'a.zip'), zipOf({ 'img1.json': inputs[0], 'img2.json': inputs[1] }));
    const report = await job(source, target, { formats: { outputFormat: 'zip' } });
    expect(report.counts).toMatchObject({ scored: 1, records: 2 });
    const out = unzipSync(readFileSync(join(target, 'a.zip')));
    expect(Object.keys(out)).toEqual(['img1.json', 'img2.json']);
    const first = JSON.parse(Buffer.from(out['img1.json']).toString());
    expect(first['img1.json'].fields).toEqual(['prediction', 'prediction_classes', 'probability']);
    const again = await job(source, target, { formats: { outputFormat: 'zip' }, resume: true });
    expect(again.counts).toMatchObject({ scored: 0, skipped: 1 });
  });

  it('fails a ../ or absolute entry, a non-JSON entry, a bad JSON entry and an oversized one alone', async () => {
    const { source, target } = folders();
    const bomb = new Uint8Array(4 * 1024 * 1024); // zeros: a few KB compressed, 4 MiB inflated
    writeFileSync(
      join(source, 'mixed.zip'),
      zipOf({
        'ok.json': inputs[0],
        '../escape.json': inputs[1],
        '/abs.json': inputs[2],
        'notes.txt': 'hello',
        'bad.json': '{"values": [1,',
        'big.json': bomb,
        'folder/': new Uint8Array(0),
      }),
    );
    const report = await job(source, target, { maxFileBytes: 1024 * 1024 });
    expect(report.status).toBe('completed_with_failures');
    expect(report.counts).toMatchObject({ scored: 1, failed: 0, records: 1, failedRecords: 5 });
    expect(report.failures.map((f) => [f.entry, f.code])).toEqual([
      ['../escape.json', 'INPUT_ZIP_UNSAFE_NAME'],
      ['/abs.json', 'INPUT_ZIP_UNSAFE_NAME'],
      ['notes.txt', 'INPUT_NOT_AN_INPUT'],
      ['bad.json', 'INPUT_NOT_NUMERIC'],
      ['big.json', 'INPUT_TOO_LARGE'],
    ]);
    expect(report.failures[0]).toMatchObject({ file: 'mixed.zip', stage: 'parse' });
    expect(report.failures[0].reason).toMatch(/entry "\.\.\/escape\.json" refused: a "\.\." or "\." segment/);
    expect(readdirSync(join(target, 'mixed'))).toEqual(['ok.json']);
    expect(readdirSync(join(target))).not.toContain('escape.json');
  });

  it('fails a zip bomb (too many entries or bytes) and a file that is not a zip whole', async () => {
    const many = zipOf(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`e${i}.json`, '{}'])));
    const read = async (bytes: Uint8Array, limits: { maxEntries: number; maxTotalBytes: number }) => {
      const body = (async function* () {
        yield bytes;
      })();
      for await (const _ of readZipEntries(body, { maxEntryBytes: 1 << 20, ...limits }));
    };
    await expect(read(many, { maxEntries: 10, maxTotalBytes: 1 << 30 })).rejects.toThrow(
      /more than 10 entries/,
    );
    const zeros = zipOf({ 'a.json': new Uint8Array(600_000), 'b.json': new Uint8Array(600_000) });
    await expect(read(zeros, { maxEntries: 10, maxTotalBytes: 1_000_000 })).rejects.toThrow(
      /more than 1000000 bytes uncompressed/,
    );
    expect(unsafeEntryName('C:/x.json')).toBe('an absolute path');
    expect(unsafeEntryName('a\\..\\b.json')).toBe('a backslash in the name');
    expect(unsafeEntryName('a/b.json')).toBeNull();
    const { source, target } = folders();
    writeFileSync(join(source, 'fake.zip'), 'this is not a zip');
    const report = await job(source, target);
    expect(report.counts).toMatchObject({ scored: 0, failed: 1 });
    expect(report.failures[0]).toMatchObject({ file: 'fake.zip', stage: 'parse', code: 'INPUT_ZIP_INVALID' });
  });
});
