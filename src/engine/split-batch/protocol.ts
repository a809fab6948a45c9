import type { MessagePort } from 'node:worker_threads';

/**
 * The handoff between a split-batch engine and its helper thread: one shared control array and two shared
 * float buffers, so a batch's second half reaches the helper and its outputs come back without a message
 * (a message each way cost ~0.5 ms a batch, as long as half a small model's batch).
 */

/** Control slots (an Int32Array over a SharedArrayBuffer). */
export const CTL = {
  /** The helper has its session (1) or could not create it (2). */
  ready: 0,
  /** Sequence number of the last request; -1 asks the helper to stop. */
  request: 1,
  /** Sequence number of the last request the helper finished. */
  done: 2,
  /** 0 when that request succeeded; 1 when it failed (the error waits on the port). */
  status: 3,
  /** Input dims: count, then for each input its rank and dims. */
  inputDims: 16,
  /** Output dims, written by the helper in the same layout. */
  outputDims: 272,
  size: 528,
} as const;

export interface HelperSetup {
  model: Uint8Array;
  intraOpThreads: number;
  control: SharedArrayBuffer;
  port: MessagePort;
}

/**
 * What travels on the port, read before the shared slots that follow it: a larger buffer (the engine's for
 * inputs, the helper's for outputs), or why a request or the session failed.
 */
export type PortMessage = { buffer: SharedArrayBuffer } | { error: string };

/** Writes tensors' dims at `at` (count, then rank and dims of each); false when they do not fit. */
export function writeDims(control: Int32Array, at: number, dims: readonly (readonly number[])[]): boolean {
  const needed = 1 + dims.reduce((n, d) => n + 1 + d.length, 0);
  if (needed > CTL.outputDims - CTL.inputDims) return false;
  let i = at;
  control[i++] = dims.length;
  for (const d of dims) {
    control[i++] = d.length;
    for (const v of d) control[i++] = v;
  }
  return true;
}

export function readDims(control: Int32Array, at: number): number[][] {
  let i = at;
  const count = control[i++];
  const out: number[][] = [];
  for (let t = 0; t < count; t += 1) {
    const rank = control[i++];
    out.push(Array.from(control.subarray(i, i + rank)));
    i += rank;
  }
  return out;
}

/** Spins on `slot` while it holds `value`, for at most `spinMs`; returns whether it changed. */
export function spinWhile(control: Int32Array, slot: number, value: number, spinMs: number): boolean {
  const end = performance.now() + spinMs;
  while (Atomics.load(control, slot) === value) {
    if (performance.now() > end) return false;
  }
  return true;
}
