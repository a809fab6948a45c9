/**
 * Budgets, in one place: what one model file, one input file or one process may cost before any of the work
 * is done. Each has a documented default (docs/limits.md) and is raised per command or per server with
 * `--limit name=value` (repeatable) or `KERAS_BATCH_LIMITS="name=value,name=value"`. A refusal is a
 * {@link LimitError} naming the limit, what was asked for and how to raise it.
 */
import { availableParallelism, totalmem } from 'node:os';
import { KerasBatchError } from './errors.js';

/** Every budget; sizes in bytes. */
export interface Limits {
  /** Entries in a `.keras` zip. */
  zipMembers: number;
  /** Uncompressed size of one zip member that is read (config.json, model.weights.h5, assets). */
  zipMemberBytes: number;
  /** Uncompressed ÷ compressed size of one member larger than 1 MiB (a zip bomb expands 1000×). */
  zipRatio: number;
  /** Bytes of a model's JSON config (config.json, the HDF5 `model_config`, an architecture JSON). */
  configBytes: number;
  /** Nesting depth of that JSON (objects and arrays). */
  configDepth: number;
  /** Layers of a model, nested models' layers included. */
  layers: number;
  /** All the weights a model file declares, as float32 bytes (4 per element), checked before any is read. */
  weightBytes: number;
  /**
   * Those declared float32 bytes ÷ the bytes of the HDF5 file holding them, once over 64 MiB: real weights are
   * stored (float16 halves them, compression barely shrinks trained floats), so a small file declaring huge
   * weights holds mostly nothing and would only cost memory.
   */
  weightFileRatio: number;
  /** Records in one input file. */
  recordsPerFile: number;
  /** Bytes of the output written for one input file. */
  outputBytesPerFile: number;
  /** File-I/O threads of a batch job. */
  ioThreads: number;
  /**
   * Heap (V8 old generation) of one file-I/O thread: a file whose reading, parsing or writing needs more fails
   * alone ("file-I/O thread ran out of memory"); the thread is replaced and the job goes on.
   */
  ioThreadHeap: number;
  /** Model uploads a server receives at once (each streamed to a file); one more is refused with a 503. */
  uploadsConcurrent: number;
  /** Seconds one model may take to load and compile (in its own thread) before the load is ended. */
  modelLoadSeconds: number;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * The defaults. Loading and compiling a model peaks at about 6× its float32 weights in one process, so the
 * weight budget is 1/16 of the machine's memory, at least 1 GiB (VGG16 with its top, 528 MiB, loads on any
 * machine). A file declaring far more weights than it stores (the hostile 10 KB `.h5` declaring 100M elements)
 * is refused by `weightFileRatio` whatever the budget.
 */
export function defaultLimits(memory = totalmem(), cores = availableParallelism()): Limits {
  return {
    zipMembers: 10_000,
    zipMemberBytes: 1 * GiB,
    zipRatio: 200,
    configBytes: 64 * MiB,
    configDepth: 256,
    layers: 20_000,
    weightBytes: Math.max(GiB, Math.floor(memory / 16)),
    weightFileRatio: 8,
    recordsPerFile: 100_000,
    outputBytesPerFile: 256 * MiB,
    ioThreads: cores * 2,
    ioThreadHeap: 96 * MiB,
    uploadsConcurrent: 4,
    modelLoadSeconds: 300,
  };
}

/** The command-line name of each limit (`--limit weight-bytes=1GiB`). */
export const LIMIT_NAMES: Readonly<Record<keyof Limits, string>> = {
  zipMembers: 'zip-members',
  zipMemberBytes: 'zip-member-bytes',
  zipRatio: 'zip-ratio',
  configBytes: 'config-bytes',
  configDepth: 'config-depth',
  layers: 'layers',
  weightBytes: 'weight-bytes',
  weightFileRatio: 'weight-file-ratio',
  recordsPerFile: 'records-per-file',
  outputBytesPerFile: 'output-bytes-per-file',
  ioThreads: 'io-threads',
  ioThreadHeap: 'io-thread-heap',
  uploadsConcurrent: 'uploads-concurrent',
  modelLoadSeconds: 'model-load-seconds',
};

const SIZES = new Set<keyof Limits>([
  'zipMemberBytes',
  'configBytes',
  'weightBytes',
  'outputBytesPerFile',
  'ioThreadHeap',
]);

/** A budget exceeded: names the limit, the amount asked for, the limit and how to raise it. Never retryable. */
export class LimitError extends KerasBatchError {
  readonly limit: string;
  readonly requested: number;
  readonly allowed: number;

  constructor(part: string, limit: keyof Limits, what: string, requested: number, allowed: number) {
    const name = LIMIT_NAMES[limit];
    const show = (n: number) =>
      SIZES.has(limit) ? formatBytes(n) : limit === 'modelLoadSeconds' ? `${n} s` : String(n);
    super(
      part,
      'LIMIT_EXCEEDED',
      `${what}: ${show(requested)} is over the ${name} limit of ${show(allowed)}; ` +
        `raise it with --limit ${name}=<value> or KERAS_BATCH_LIMITS="${name}=<value>" (docs/limits.md)`,
    );
    this.limit = name;
    this.requested = requested;
    this.allowed = allowed;
  }
}

/** Throws a {@link LimitError} when `requested` exceeds the limit. */
export function checkLimit(
  limits: Limits,
  limit: keyof Limits,
  requested: number,
  part: string,
  what: string,
): void {
  if (requested > limits[limit]) throw new LimitError(part, limit, what, requested, limits[limit]);
}

/** `1.5 GiB`, `300 MiB`, `12 KiB`, `17 B`. */
export function formatBytes(n: number): string {
  const units: [number, string][] = [
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) return `${Number((n / size).toFixed(n % size === 0 ? 0 : 1))} ${unit}`;
  }
  return `${n} B`;
}

function parseAmount(key: keyof Limits, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(text.trim());
  if (!m || (m[2] && !SIZES.has(key))) {
    throw new Error(
      `--limit ${LIMIT_NAMES[key]}: ${SIZES.has(key) ? 'a size like 512MiB' : 'a whole number'} is expected, got "${text}"`,
    );
  }
  const unit = (m[2] ?? '').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? MiB : unit === 'g' ? GiB : 1;
  const value = Math.floor(Number(m[1]) * factor);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`--limit ${LIMIT_NAMES[key]}: a value of at least 1 is expected, got "${text}"`);
  }
  return value;
}

/** Parses `name=value` settings (from `--limit` or `KERAS_BATCH_LIMITS`); throws naming a bad one. */
export function parseLimitSettings(settings: readonly string[]): Partial<Limits> {
  const byName = new Map(Object.entries(LIMIT_NAMES).map(([k, n]) => [n, k as keyof Limits]));
  const out: Partial<Limits> = {};
  for (const setting of settings) {
    const eq = setting.indexOf('=');
    const key = byName.get(setting.slice(0, eq).trim());
    if (eq < 0 || key === undefined) {
      throw new Error(
        `--limit "${setting}": name=value is expected, with a name among ${Object.values(LIMIT_NAMES).join(', ')}`,
      );
    }
    out[key] = parseAmount(key, setting.slice(eq + 1));
  }
  return out;
}

/** The settings of `KERAS_BATCH_LIMITS` (comma-separated `name=value`). */
export function envLimitSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KERAS_BATCH_LIMITS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

let current: Limits | null = null;

/** This process's limits: the defaults, then `KERAS_BATCH_LIMITS`, then what {@link setLimits} was given. */
export function currentLimits(): Limits {
  current ??= { ...defaultLimits(), ...parseLimitSettings(envLimitSettings()) };
  return current;
}

/** Uses `limits` as this process's (or thread's) limits: a model-loading thread gets its server's. */
export function useLimits(limits: Limits): void {
  current = { ...limits };
}

/**
 * Sets this process's limits (a command's `--limit` flags over `KERAS_BATCH_LIMITS` over the defaults);
 * returns them. Called once by each command before it works.
 */
export function setLimits(settings: readonly string[] = []): Limits {
  current = { ...defaultLimits(), ...parseLimitSettings([...envLimitSettings(), ...settings]) };
  return current;
}
