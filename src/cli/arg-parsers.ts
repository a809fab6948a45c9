import { delimiter } from 'node:path';
import { InvalidArgumentError } from 'commander';

/**
 * Commander argument parsers: a bad value is a usage error (exit code 2) naming the option and the value,
 * before the command runs.
 */

/**
 * A repeatable option's values, then `env`'s (split by the OS path delimiter) when the option is not given.
 * Commander calls it per occurrence with the values so far.
 */
export function repeatable(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}

/** The folders of a repeatable `--local-root`, else of `KERAS_BATCH_LOCAL_ROOTS` (`:`-separated). */
export function localRoots(given: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (given?.length) return given;
  return (env.KERAS_BATCH_LOCAL_ROOTS ?? '').split(delimiter).filter((p) => p !== '');
}

/** The patterns of a repeatable `--s3-endpoint-allow`, else of `KERAS_BATCH_S3_ENDPOINT_ALLOW` (comma-separated). */
export function endpointPatterns(
  given: string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (given?.length) return given;
  return (env.KERAS_BATCH_S3_ENDPOINT_ALLOW ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

export function positiveInteger(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`a whole number >= 1 is expected, got "${text}"`);
  return n;
}

export function nonNegativeInteger(text: string): number {
  return text.trim() === '0' ? 0 : positiveInteger(text);
}

/** A size like `64MiB`, `500kB`, `2GiB` or a number of bytes (k, M and G count 1024s). */
export function byteSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`a size like 64MiB or 500kB is expected, got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1) throw new InvalidArgumentError(`a size of at least 1 byte is expected, got "${text}"`);
  return bytes;
}

export function port(text: string): number {
  const n = nonNegativeInteger(text);
  if (n > 65535) throw new InvalidArgumentError(`a port from 0 to 65535 is expected, got "${text}"`);
  return n;
}
