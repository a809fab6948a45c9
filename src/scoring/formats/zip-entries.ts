import { Unzip, UnzipInflate } from 'fflate';
import { InputError } from '../../util/errors.js';

/** One entry of a zip of input files: its bytes, or why it is refused (it fails alone). */
export interface ZipEntry {
  name: string;
  bytes?: Uint8Array;
  error?: { code: string; message: string };
}

/** Limits that keep a zip bomb from exhausting memory or time. */
export interface ZipLimits {
  /** Largest entry, uncompressed (the job's `--max-file-size`). */
  maxEntryBytes: number;
  /** Most entries in one zip. */
  maxEntries: number;
  /** Most bytes of all entries together, uncompressed. */
  maxTotalBytes: number;
}

export const ZIP_DEFAULT_LIMITS = { maxEntries: 100_000, maxTotalBytes: 16 * 1024 ** 3 };

/** Why an entry name is refused (it would leave the output folder), or null when it is safe. */
export function unsafeEntryName(name: string): string | null {
  if (name.startsWith('/') || name.startsWith('\\') || /^[a-zA-Z]:/.test(name)) return 'an absolute path';
  if (name.includes('\\')) return 'a backslash in the name';
  if (name.includes('\0')) return 'a NUL byte in the name';
  if (name.split('/').some((s) => s === '..' || s === '.')) return 'a ".." or "." segment';
  return null;
}

/** Entries that are not inputs, skipped silently: folders and macOS resource forks. */
const skipped = (name: string) =>
  name.endsWith('/') || name.startsWith('__MACOSX/') || /(^|\/)\._/.test(name);

/**
 * Reads a zip as a stream (local headers, as fflate's `Unzip` does) and yields its `.json` (or `ending`) entries a few at a
 * time. An unsafe name, an entry that is not `.json` or one over `maxEntryBytes` fails alone; more than
 * `maxEntries` entries or `maxTotalBytes` in all fails the zip (a zip bomb).
 */
export async function* readZipEntries(
  body: AsyncIterable<Uint8Array>,
  limits: ZipLimits,
  ending = '.json',
): AsyncGenerator<ZipEntry[]> {
  let ready: ZipEntry[] = [];
  let fatal: unknown = null;
  let entries = 0;
  let total = 0;
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file) => {
    if (fatal || skipped(file.name)) return;
    entries += 1;
    if (entries > limits.maxEntries) {
      fatal = new InputError('INPUT_ZIP_TOO_MANY', `the zip has more than ${limits.maxEntries} entries`);
      return;
    }
    const name = file.name;
    const unsafe = unsafeEntryName(name);
    if (unsafe) {
      ready.push({
        name,
        error: { code: 'INPUT_ZIP_UNSAFE_NAME', message: `entry ${JSON.stringify(name)} refused: ${unsafe}` },
      });
      return;
    }
    if (!name.toLowerCase().endsWith(ending)) {
      ready.push({
        name,
        error: {
          code: 'INPUT_NOT_AN_INPUT',
          message: `entry ${JSON.stringify(name)} is not a ${ending} file`,
        },
      });
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    let failed = false;
    file.ondata = (error, chunk, final) => {
      if (failed || fatal) return;
      if (error) {
        failed = true;
        ready.push({
          name,
          error: { code: 'INPUT_ZIP_INVALID', message: `entry ${JSON.stringify(name)}: ${error.message}` },
        });
        return;
      }
      size += chunk.length;
      total += chunk.length;
      if (total > limits.maxTotalBytes) {
        fatal = new InputError(
          'INPUT_ZIP_TOO_LARGE',
          `the zip holds more than ${limits.maxTotalBytes} bytes uncompressed`,
        );
        return;
      }
      if (size > limits.maxEntryBytes) {
        failed = true;
        file.terminate();
        ready.push({
          name,
          error: {
            code: 'INPUT_TOO_LARGE',
            message: `entry ${JSON.stringify(name)} is over the size limit of ${limits.maxEntryBytes} bytes uncompressed`,
          },
        });
        return;
      }
      chunks.push(chunk);
      if (final) ready.push({ name, bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
    };
    try {
      file.start();
    } catch (error) {
      failed = true;
      ready.push({
        name,
        error: {
          code: 'INPUT_ZIP_INVALID',
          message: `entry ${JSON.stringify(name)}: ${(error as Error).message}`,
        },
      });
    }
  };
  const take = () => {
    const out = ready;
    ready = [];
    return out;
  };
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      unzip.push(chunk, final);
    } catch (error) {
      fatal ??= new InputError('INPUT_ZIP_INVALID', `not a valid zip: ${(error as Error).message}`);
    }
  };
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    push(chunk, false);
    if (fatal) throw fatal;
    if (ready.length > 0) yield take();
  }
  push(new Uint8Array(0), true);
  if (fatal) throw fatal;
  if (seen === 0) throw new InputError('INPUT_EMPTY', 'the file is empty');
  if (entries === 0) throw new InputError('INPUT_ZIP_INVALID', 'not a zip, or a zip without entries');
  if (ready.length > 0) yield take();
}
