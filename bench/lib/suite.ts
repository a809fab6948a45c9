/**
 * The benchmark is a list of suites run in order by `bench/run.ts`. A suite measures one thing (the engine's
 * throughput against the baselines, model load time, ...) and returns readable lines, one JSON value and the
 * targets it checked. To add a suite, write `bench/suites/<name>.ts` exporting a {@link Suite} and list it in
 * `bench/suites/index.ts`.
 */

import type { BenchOptions } from './options.js';

/** A target from the issue, checked against a measurement. */
export interface TargetResult {
  /** What is promised, in the words (`CNN @ batch 256: ours-2T >= 5x TF.js-wasm`). */
  name: string;
  /** The measured value, readable (`7.3x`, `812 ms`). */
  measured: string;
  /** `null` when it could not be measured (a baseline skipped, a model missing). */
  pass: boolean | null;
  /** Why it failed or was not measured. */
  note?: string;
}

export interface SuiteResult {
  /** Readable report lines (tables, notes). */
  lines: string[];
  /** Everything measured, for `--json`. */
  data: unknown;
  targets: TargetResult[];
  /** Skips and caveats (a baseline not installed, a model absent...). */
  notes: string[];
}

export interface BenchContext {
  options: BenchOptions;
  repoRoot: string;
  /** `../shared` next to the repo, or null where it is absent. */
  sharedDir: string | null;
  /** `bench/results/` (gitignored): the only place a run writes to. */
  resultsDir: string;
  /** Progress for humans, on stderr (so `--json` stays one document on stdout). */
  log(message: string): void;
}

export interface Suite {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<SuiteResult>;
  /** `false`: run only when named with `--suite` (slow or needing services). Default true. */
  defaultRun?: boolean;
}
