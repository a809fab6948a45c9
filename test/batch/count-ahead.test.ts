/**
 * The count ahead of the scoring: a local folder counted by its file names (bookkeeping and temporary files left
 * out), any other source by its listing; the tally then reports the total (and an ETA) before its own listing
 * gets there, and never less than what it listed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countInputs } from '../../src/batch/count-ahead.js';
import { createInputFilter } from '../../src/batch/input-filter.js';
import { JobTally } from '../../src/batch/job-tally.js';
import type { ProgressEvent } from '../../src/batch/types.js';
import { openBucket } from '../../src/storage/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-count-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batch: counting the source ahead', () => {
  it('counts a folder by names, leaving out _keras-batch/ and temporary files; the same as its listing', async () => {
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(dir, '_keras-batch', 'run-1'), { recursive: true });
    for (let i = 0; i < 25; i += 1) writeFileSync(join(dir, `f${i}.json`), '{}');
    for (let i = 0; i < 5; i += 1) writeFileSync(join(dir, 'sub', 'deeper', `g${i}.txt`), 'x');
    writeFileSync(join(dir, '_keras-batch', 'run-1', 'report.json'), '{}');
    writeFileSync(join(dir, '.kb-tmp-abc-1'), 'partial');
    const classify = createInputFilter(['**/*.json'], 1000);
    const folder = openBucket({ kind: 'fs', path: dir });
    expect(folder.fsOptions?.root).toBe(dir);
    expect(await countInputs(folder, classify, new AbortController().signal)).toBe(30);
    // Through the listing (a source that is not a whole folder): the same count.
    const listed = { ...folder, fsOptions: undefined };
    expect(await countInputs(listed, classify, new AbortController().signal)).toBe(30);
    const aborted = new AbortController();
    aborted.abort();
    expect(await countInputs(listed, classify, aborted.signal)).toBeNull();
  });

  it('the tally reports the count as the total (listing done) before its own listing, never below it', () => {
    const events: ProgressEvent[] = [];
    const tally = new JobTally({ jobId: 'j', onProgress: (e) => events.push(e) });
    tally.counts.listed = 300;
    tally.counts.scored = 100;
    tally.progress();
    expect(events[0]).toMatchObject({ listingDone: false, etaSeconds: null, counts: { listed: 300 } });
    tally.expected = 30_000;
    tally.progress();
    expect(events[1]).toMatchObject({ listingDone: true, counts: { listed: 30_000, scored: 100 } });
    expect(events[1].etaSeconds).not.toBeNull();
    tally.counts.listed = 30_005; // files added while the job ran: the listing's count wins
    tally.progress();
    expect(events[2].counts.listed).toBe(30_005);
  });
});
