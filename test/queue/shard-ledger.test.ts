import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResumeLedger } from '../../src/batch/ledger.js';
import { loadShardLedger } from '../../src/queue/shard-ledger.js';
import { shardRunId } from '../../src/queue/types.js';
import { createFsDriver } from '../../src/storage/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("a retried shard's ledger", () => {
  it('holds what earlier attempts of that shard wrote with that model, and nothing of other shards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kb-shard-ledger-'));
    dirs.push(dir);
    const target = createFsDriver({ root: dir, create: true });
    const write = async (runId: string, sha: string, keys: string[]) => {
      const ledger = new ResumeLedger(target, runId, sha);
      for (const [i, k] of keys.entries()) ledger.record(k, `etag-${k}`, i + 2);
      await ledger.flush();
    };
    await write(`${shardRunId('job1', 1)}-attempt1`, 'm1', ['a.json']);
    await write(`${shardRunId('job1', 1)}-attempt2`, 'm1', ['b.json']);
    await write(`${shardRunId('job1', 10)}-attempt1`, 'm1', ['c.json']);
    await write(`${shardRunId('job1', 1)}-attempt3`, 'other-model', ['d.json']);
    const state = await loadShardLedger(target, shardRunId('job1', 1), 'm1');
    expect([...state.done.entries()].sort()).toEqual([
      ['a.json', 'etag-a.json'],
      ['b.json', 'etag-b.json'],
    ]);
    // Each output's records, so a recovered shard still counts them (after Redis lost the shard's result).
    expect([...state.records.entries()].sort()).toEqual([
      ['a.json', 2],
      ['b.json', 2],
    ]);
    expect((await loadShardLedger(target, shardRunId('job1', 2), 'm1')).done.size).toBe(0);
    await target.close();
  });
});
