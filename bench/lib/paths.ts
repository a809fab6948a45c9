import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (`bench/..`). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared` next to the repository, or null where it is absent. */
export function findSharedDir(root = repoRoot): string | null {
  const dir = join(root, '..', 'shared');
  return existsSync(dir) ? dir : null;
}

/** `bench/results/` (gitignored), created on demand. */
export function ensureResultsDir(root = repoRoot): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  return dir;
}
