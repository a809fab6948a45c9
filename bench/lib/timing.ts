/** Throughput measurement: warm up, then repetitions of a fixed time budget; the median is reported. */
import { readFileSync } from 'node:fs';

export interface Budget {
  warmupMs: number;
  /** Time budget of one repetition. */
  repMs: number;
  reps: number;
  /** Calls per repetition at least, whatever the budget. */
  minCalls: number;
}

export const DEFAULT_BUDGET: Budget = { warmupMs: 200, repMs: 450, reps: 3, minCalls: 3 };
export const QUICK_BUDGET: Budget = { warmupMs: 60, repMs: 150, reps: 2, minCalls: 1 };

export interface Throughput {
  /** Median over repetitions of records per second. */
  recordsPerSec: number;
  /** Each repetition's records per second. */
  reps: number[];
  /** Calls made over all repetitions. */
  calls: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timeRep(call: () => Promise<unknown>, records: number, budget: Budget) {
  const start = performance.now();
  let n = 0;
  let elapsed = 0;
  while (n < budget.minCalls || elapsed < budget.repMs) {
    await call();
    n++;
    elapsed = performance.now() - start;
  }
  return { calls: n, recordsPerSec: (n * records * 1000) / elapsed };
}

/**
 * Times several runners scoring `records` records per call under `budget`. Repetitions are interleaved
 * (rep 1 of every runner, then rep 2...), so a change of load on a shared machine hits every runner alike
 * and their ratios stay meaningful.
 */
export async function measureInterleaved(
  runners: { name: string; call: () => Promise<unknown> }[],
  records: number,
  budget: Budget,
): Promise<Record<string, Throughput>> {
  const out: Record<string, Throughput> = {};
  for (const r of runners) {
    const warmEnd = performance.now() + budget.warmupMs;
    do await r.call();
    while (performance.now() < warmEnd);
    out[r.name] = { recordsPerSec: 0, reps: [], calls: 0 };
  }
  for (let rep = 0; rep < budget.reps; rep++) {
    for (const r of runners) {
      const t = await timeRep(r.call, records, budget);
      out[r.name].reps.push(t.recordsPerSec);
      out[r.name].calls += t.calls;
    }
  }
  for (const r of runners) out[r.name].recordsPerSec = median(out[r.name].reps);
  return out;
}

/** CPU seconds (user + system, every thread) a process has used, from /proc; null where that is not readable. */
function processCpuSeconds(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100;

/**
 * Waits until another process (a baseline's server) has gone quiet: less than 5% of one core over 100 ms,
 * at most `capMs`. Its threads can keep working after it answers (TensorFlow's pools wind down, Python
 * frees a call's data), and a runner timed then would share the cores with them.
 */
export async function settle(pid: number | undefined, capMs = 3000): Promise<void> {
  if (pid === undefined) return;
  const end = performance.now() + capMs;
  let before = processCpuSeconds(pid);
  while (before !== null && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const now = processCpuSeconds(pid);
    if (now === null || now - before < 0.005) return;
    before = now;
  }
}
