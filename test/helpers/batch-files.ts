/**
 * Helpers of the batch integration tests: bounded-concurrency loops, seed-format inputs written without
 * blocking the event loop, listings of a whole target, and checks of one seed-format output.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_PREFIX } from '../../src/batch/index.js';
import type { BucketDriver } from '../../src/storage/index.js';
import { repoRoot } from './shared.js';

/** The fs driver's temporary files (written, then renamed into place) start with this. */
export const FS_TEMP_PREFIX = '.kb-tmp-';

/** The example model bundled with the project (an MNIST CNN, 28×28×1 input with the batch axis). */
export const exampleModel = join(repoRoot, 'examples', 'models', 'mnist-cnn.keras');

/** The ten bundled seed-format inputs (MNIST digits, the text of img1.json … img10.json). */
export function exampleInputs(): string[] {
  return Array.from({ length: 10 }, (_, i) =>
    readFileSync(join(repoRoot, 'examples', 'input', `img${i + 1}.json`), 'utf8'),
  );
}

/** Runs `fn` over `items` with at most `limit` at a time; results in item order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `[0, 1, ..., n-1]`. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Writes `count` files `name(i)` with `text(i)` into `dir`, asynchronously, 32 at a time. */
export async function writeFiles(
  dir: string,
  count: number,
  name: (i: number) => string,
  text: (i: number) => string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await mapLimit(range(count), 32, (i) => writeFile(join(dir, name(i)), text(i)));
}

/** Writes `count` seed-format digits `img0.json` … into `dir`, cycling through the ten bundled inputs. */
export async function writeDigitFiles(dir: string, count: number): Promise<void> {
  const inputs = exampleInputs();
  await writeFiles(
    dir,
    count,
    (i) => `img${i}.json`,
    (i) => inputs[i % 10],
  );
}

/** Every key of a driver's scope, in listing order. */
export async function listKeys(driver: BucketDriver, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of driver.list(prefix)) for (const e of page) keys.push(e.key);
  return keys;
}

/** Splits a target's keys into outputs and keras-batch's own files (reports, errors, ledgers). */
export function splitTargetKeys(keys: readonly string[]): { outputs: string[]; own: string[] } {
  const outputs: string[] = [];
  const own: string[] = [];
  for (const k of keys) (k.startsWith(JOB_PREFIX) ? own : outputs).push(k);
  return { outputs, own };
}

/** Names in a folder (not recursive) that are outputs: `.json` files that are not temporary files. */
export async function countFolderOutputs(dir: string): Promise<number> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => n.endsWith('.json') && !n.startsWith(FS_TEMP_PREFIX)).length;
  } catch {
    return 0;
  }
}

/** Every file under `dir` (recursive), as '/'-separated paths relative to it. */
export async function walkNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .map((p) => p.split('\\').join('/'));
}

/** The seed's output fields, in order. */
export const SEED_FIELDS = ['prediction', 'prediction_classes', 'probability'];

/**
 * Parses one output and checks it is the seed's format for a one-record, 10-class input:
 * `{"<key>": {"fields": [...], "values": [prediction, class, probability]}}`, keyed by the input's key relative
 * to the source (its file name, with the folders under the source for nested inputs, as runner.test.ts has it).
 * Returns the predicted class. Throws (with the key) on anything else, so a torn file shows.
 */
export function checkOutput(key: string, text: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${key}: output is not whole JSON (${(error as Error).message}): ${text.slice(0, 80)}`);
  }
  const name = key;
  const obj = parsed as Record<string, { fields: unknown; values: unknown[] }>;
  const keys = Object.keys(obj);
  if (keys.length !== 1 || keys[0] !== name) throw new Error(`${key}: output keys ${JSON.stringify(keys)}`);
  const body = obj[name];
  if (JSON.stringify(Object.keys(body)) !== JSON.stringify(['fields', 'values']))
    throw new Error(`${key}: output members ${JSON.stringify(Object.keys(body))}`);
  if (JSON.stringify(body.fields) !== JSON.stringify(SEED_FIELDS))
    throw new Error(`${key}: fields ${JSON.stringify(body.fields)}`);
  const [prediction, cls, probability] = body.values as [number[], number, number[]];
  if (body.values.length !== 3 || !Array.isArray(prediction) || prediction.length !== 10)
    throw new Error(`${key}: values ${JSON.stringify(body.values).slice(0, 120)}`);
  if (JSON.stringify(probability) !== JSON.stringify(prediction))
    throw new Error(`${key}: probability differs from prediction`);
  if (!Number.isInteger(cls) || cls !== prediction.indexOf(Math.max(...prediction)))
    throw new Error(`${key}: class ${cls} is not the argmax of ${JSON.stringify(prediction)}`);
  return cls;
}
