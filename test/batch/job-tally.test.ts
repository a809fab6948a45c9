import { describe, expect, it } from 'vitest';
import { JobTally } from '../../src/batch/job-tally.js';
import type { ProgressEvent } from '../../src/batch/types.js';

const failure = (file: string) => ({ file, stage: 'parse' as const, code: 'X', reason: 'bad' });

describe('batch: the job tally shared by the local runner and the coordinator', () => {
  it('stops at a count limit as failures come in, once', () => {
    let stops = 0;
    const tally = new JobTally({
      jobId: 'j',
      maxFailures: { kind: 'count', value: 2 },
      onStop: () => stops++,
    });
    tally.fail(failure('a'));
    tally.fail(failure('b'));
    expect(tally.stoppedReason).toBeNull();
    tally.fail(failure('c'));
    expect(tally.stoppedReason).toMatch(/3 inputs failed, more than --max-failures 2/);
    tally.fail(failure('d'));
    expect(stops).toBe(1);
    expect(tally.counts.failed).toBe(4);
    expect(tally.failures.map((f) => f.file)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('judges a percentage after 100 finished inputs, and on the total at the end', () => {
    const tally = new JobTally({ jobId: 'j', maxFailures: { kind: 'percent', value: 10 } });
    tally.counts.scored = 5;
    tally.fail(failure('a'));
    expect(tally.stoppedReason).toBeNull(); // 1 of 6: not judged before 100
    expect(tally.checkLimit(true)).toMatch(/1 of 6 inputs failed \(16\.7%\)/);
  });

  it('reports progress with files/s, and an ETA only once the listing is done', () => {
    const events: ProgressEvent[] = [];
    const tally = new JobTally({ jobId: 'j', onProgress: (e) => events.push(e) });
    tally.counts.listed = 10;
    tally.counts.scored = 4;
    tally.progress();
    tally.listingDone = true;
    tally.progress();
    expect(events[0]).toMatchObject({ jobId: 'j', listingDone: false, etaSeconds: null });
    expect(events[0].counts).toMatchObject({ listed: 10, scored: 4 });
    expect(events[1].listingDone).toBe(true);
    expect(events[1].etaSeconds).toBeGreaterThan(0);
    events[0].counts.scored = 99;
    expect(tally.counts.scored).toBe(4); // events carry copies
  });

  it('counts failed records of record files as failures and their records as finished inputs; lists at most 10,000', () => {
    const tally = new JobTally({ jobId: 'j', maxFailures: { kind: 'percent', value: 10 } });
    tally.counts.scored = 1;
    const lines = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ ...failure('a.jsonl'), line: i + 1 }));
    tally.recordFile(990, lines(5)); // 5 of 996 finished: 0.5%
    expect(tally.stoppedReason).toBeNull();
    expect(tally.counts.failedRecords).toBe(5);
    tally.counts.scored += 1;
    tally.recordFile(100, lines(150)); // 155 of 1,247: 12.4%
    expect(tally.stoppedReason).toMatch(/155 of 1247 inputs failed \(12\.4%\)/);
    const big = new JobTally({ jobId: 'k' });
    big.recordFile(0, lines(10_005));
    expect(big.counts.failedRecords).toBe(10_005);
    expect(big.failures).toHaveLength(10_000);
    expect(big.counts.failed).toBe(0);
  });
});
