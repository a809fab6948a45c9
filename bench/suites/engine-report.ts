/** The throughput table of the engine suite. */

import { formatTable } from '../lib/table.js';

export const RUNNERS = ['ours-1T', 'ours-2T', 'tfjs-wasm', 'keras'] as const;

export interface Row {
  model: string;
  key: string;
  batch: number;
  /** Records/s by runner (`ours-1T`, `ours-2T`, `tfjs-wasm`, `keras`); absent where not measured. */
  rps: Record<string, number>;
  /** Each repetition's records/s, by runner. */
  reps: Record<string, number[]>;
}

export function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || !(b > 0) ? null : a / b;
}

export function formatRps(v: number | undefined): string {
  if (v === undefined) return '-';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

const formatRatio = (r: number | null): string =>
  r === null ? '-' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;

export function engineTable(rows: Row[]): string[] {
  const header = ['model', 'batch', ...RUNNERS.map((r) => `${r} rec/s`), '2T/tfjs', '2T/keras', '2T/1T'];
  const body = rows.map((r) => [
    r.model,
    String(r.batch),
    ...RUNNERS.map((name) => formatRps(r.rps[name])),
    formatRatio(ratio(r.rps['ours-2T'], r.rps['tfjs-wasm'])),
    formatRatio(ratio(r.rps['ours-2T'], r.rps.keras)),
    formatRatio(ratio(r.rps['ours-2T'], r.rps['ours-1T'])),
  ]);
  return formatTable(header, body, [false, true, true, true, true, true, true, true, true]);
}
