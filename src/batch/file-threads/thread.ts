/** A file thread: reads + parses inputs and writes outputs with blocking calls, for the pool in `pool.ts`. */
import { parentPort, workerData } from 'node:worker_threads';
import { createFsDriver } from '../../storage/index.js';
import { readInput, writeOutput } from '../file-stages.js';
import { sendError, type ThreadRequest, type ThreadResult, type ThreadSetup } from './protocol.js';

const setup = workerData as ThreadSetup;
const source = setup.source ? createFsDriver({ ...setup.source, io: 'blocking' }) : null;
const target = setup.target ? createFsDriver({ ...setup.target, io: 'blocking' }) : null;

async function handle(request: ThreadRequest): Promise<ThreadResult[]> {
  const results: ThreadResult[] = [];
  if (request.kind === 'read') {
    for (const [id, key, etag] of request.items) {
      if (!source) throw new Error('this file thread reads no source');
      const outcome = await readInput(source, { key, etag }, setup.spec);
      results.push(
        outcome.ok
          ? { id, read: outcome }
          : { id, unread: { stage: outcome.stage, error: sendError(outcome.error) } },
      );
    }
  } else {
    for (const [id, key, text] of request.items) {
      if (!target) throw new Error('this file thread writes no target');
      try {
        results.push({ id, writeMs: await writeOutput(target, key, text) });
      } catch (error) {
        results.push({ id, writeError: sendError(error) });
      }
    }
  }
  return results;
}

parentPort?.on('message', (request: ThreadRequest) => {
  void handle(request).then((results) => parentPort?.postMessage(results));
});
