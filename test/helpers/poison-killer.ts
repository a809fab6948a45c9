/**
 * A poison input for the quarantine tests: the process scoring a job is SIGKILLed while a given input is in
 * flight — an operator's `kill -9` (or the kernel's OOM killer) timed on that input, which the claims in the
 * target (`_keras-batch/claims/`) make visible. Before outputs were streamed, a 10⁶-record file crashed a small
 * heap by itself; now nothing in our code does, so the tests time the crash on the file instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** When to kill: once `poison` is claimed (in flight among others), or once it is announced alone. */
export type PoisonMoment = 'claimed' | 'alone';

/**
 * A test of the target folder `target`, polled every 25 ms by the caller: true once `poison` is in flight at
 * `moment`. Only claims made after this call count (those crashed runs left behind are ignored).
 */
export function poisonInFlight(target: string, poison: string, moment: PoisonMoment): () => boolean {
  const dir = join(target, '_keras-batch', 'claims');
  const names = () => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const before = new Set(names());
  return () =>
    names().some((name) => {
      if (before.has(name)) return false;
      if (moment === 'alone' && !name.endsWith('-alone.json')) return false;
      if (moment === 'claimed' && !name.endsWith('.jsonl')) return false;
      try {
        return readFileSync(join(dir, name), 'utf8').includes(JSON.stringify(poison).slice(1, -1));
      } catch {
        return false; // renamed into place meanwhile, or removed
      }
    });
}

/** Polls `test` every 25 ms and calls `kill` once it is true; `stop()` ends the polling. */
export function killWhen(test: () => boolean, kill: () => void): { stop(): void; fired(): boolean } {
  let fired = false;
  const timer = setInterval(() => {
    if (!fired && test()) {
      fired = true;
      kill();
      clearInterval(timer);
    }
  }, 25);
  return {
    stop: () => clearInterval(timer),
    fired: () => fired,
  };
}
